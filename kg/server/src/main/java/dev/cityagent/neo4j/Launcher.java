package dev.cityagent.neo4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * CityAgent's local Neo4j server: Neo4j Community embedded, Bolt on a loopback address, APOC core.
 *
 * <p>Standard output carries exactly one line, {@code CITYAGENT-NEO4J-READY bolt://HOST:PORT}, once
 * Bolt accepts connections; everything else goes to standard error (which the Python manager sends
 * to a log file) and to Neo4j's own logs under {@code <home>/logs}. The process shuts the database
 * down cleanly on SIGTERM/SIGINT and, with {@code --watch-stdin}, when its standard input closes.
 *
 * <p>The JVM flags (heap, module opens) are chosen by the caller, kg/server/manager.py.
 */
public final class Launcher {

    static final String READY_PREFIX = "CITYAGENT-NEO4J-READY ";
    static final String USER = "neo4j";

    private static final String USAGE = String.join(
            "\n",
            "usage: Launcher --home DIR [--listen HOST:PORT] [--pagecache SIZE]",
            "                [--auth true|false] [--password-file FILE] [--plugins DIR]",
            "                [--watch-stdin]",
            "  --home DIR           Neo4j home: data/ and logs/ are created there (required)",
            "  --listen HOST:PORT   Bolt address; port 0 picks a free one (default 127.0.0.1:7687)",
            "  --pagecache SIZE     page cache size such as 256m or 1g (default 256m)",
            "  --auth true|false    require a password (default true)",
            "  --password-file FILE password of user neo4j, applied at every start (auth on)",
            "  --plugins DIR        folder of procedure jars, APOC (default: none)",
            "  --watch-stdin        shut down when standard input reaches end of file");

    /** Parsed command line. */
    record Options(
            Path home,
            String host,
            int port,
            long pageCacheBytes,
            boolean auth,
            Path passwordFile,
            Path pluginDir,
            boolean watchStdin) {}

    private final Options options;
    private final CountDownLatch buildOver = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private DatabaseManagementService service;
    private Log4jLogProvider userLog;
    private boolean shutDown;

    private Launcher(Options options) {
        this.options = options;
    }

    public static void main(String[] args) {
        // Keep the real standard output for the READY line alone; any library that prints to
        // System.out from now on writes to the log instead.
        PrintStream readyOut = System.out;
        System.setOut(System.err);

        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("cityagent-neo4j: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }

        Launcher launcher = new Launcher(options);
        Runtime.getRuntime().addShutdownHook(new Thread(launcher::shutdown, "cityagent-shutdown"));
        try {
            String uri = launcher.start();
            readyOut.println(READY_PREFIX + uri);
            readyOut.flush();
            log("ready at " + uri);
        } catch (Throwable t) {
            log("start-up failed: " + t);
            t.printStackTrace(System.err);
            System.err.flush();
            // The shutdown hook stops whatever was started.
            System.exit(1);
            return;
        }
        if (options.watchStdin()) {
            watchStdin();
        }
        launcher.awaitShutdown();
    }

    /** Starts the DBMS, applies the password, and returns the Bolt URI once Bolt accepts. */
    private String start() throws IOException, InterruptedException {
        long heap = Runtime.getRuntime().maxMemory();
        log(String.format(
                Locale.ROOT,
                "starting Neo4j: home=%s bolt=%s:%d heap=%dm pagecache=%dm auth=%s",
                options.home(),
                options.host(),
                options.port(),
                heap >> 20,
                options.pageCacheBytes() >> 20,
                options.auth()));
        DatabaseManagementService started;
        try {
            Files.createDirectories(options.home());
            Log4jLogProvider logProvider = new Log4jLogProvider(System.err);
            synchronized (this) {
                userLog = logProvider;
            }
            DatabaseManagementServiceBuilder builder =
                    new DatabaseManagementServiceBuilder(options.home())
                    .setUserLogProvider(logProvider)
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address,
                            new SocketAddress(options.host(), options.port()))
                    .setConfig(BoltConnector.thread_pool_max_size, 64)
                    // Bolt waits 5 s twice on shutdown by default; a local server need not.
                    .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time,
                            Duration.ofSeconds(1))
                    .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time,
                            Duration.ofSeconds(1))
                    .setConfig(HttpConnector.enabled, false)
                    .setConfig(GraphDatabaseSettings.default_listen_address,
                            new SocketAddress(options.host()))
                    .setConfig(GraphDatabaseSettings.auth_enabled, options.auth())
                    .setConfig(GraphDatabaseSettings.pagecache_memory, options.pageCacheBytes())
                    // All transactions together may use at most half of the heap (Neo4j: 70%).
                    .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, heap / 2)
                    .setConfig(GraphDatabaseSettings.keep_logical_logs, "1 days 512M")
                    .setConfig(GraphDatabaseSettings.udc_enabled, false)
                    .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*"));
            if (options.pluginDir() != null) {
                builder.setConfig(GraphDatabaseSettings.plugin_dir, options.pluginDir());
            }
            started = builder.build();
            synchronized (this) {
                service = started;
            }
        } finally {
            // From here on a shutdown hook that waits for the build may proceed.
            buildOver.countDown();
        }
        synchronized (this) {
            if (shutDown) {
                throw new IllegalStateException("asked to shut down while starting");
            }
        }

        GraphDatabaseService system = started.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        GraphDatabaseService neo4j = started.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!system.isAvailable(TimeUnit.MINUTES.toMillis(5))
                || !neo4j.isAvailable(TimeUnit.MINUTES.toMillis(5))) {
            throw new IllegalStateException("the databases did not become available");
        }
        if (options.auth()) {
            applyPassword(system, readPassword(options.passwordFile()));
        }

        int port = boltPort((GraphDatabaseAPI) neo4j);
        awaitAccepting(options.host(), port);
        return "bolt://" + options.host() + ":" + port;
    }

    /** The port Bolt really listens on, which differs from the configured one when that is 0. */
    private int boltPort(GraphDatabaseAPI database) {
        ConnectorPortRegister ports =
                database.getDependencyResolver().resolveDependency(ConnectorPortRegister.class);
        HostnamePort bound = ports.getLocalAddress(ConnectorType.BOLT);
        if (bound == null) {
            if (options.port() == 0) {
                throw new IllegalStateException("Bolt did not report the port it bound");
            }
            return options.port();
        }
        return bound.getPort();
    }

    /** Sets the password of user neo4j, without a forced change, unless it is already that one. */
    private static void applyPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally(
                    "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
            log("password of user " + USER + " set from the password file");
        } catch (QueryExecutionException e) {
            String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (message.contains("old password and new password cannot be the same")) {
                log("password of user " + USER + " unchanged");
                return;
            }
            throw e;
        }
    }

    private static String readPassword(Path file) throws IOException {
        String password = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (password.isEmpty()) {
            throw new IllegalArgumentException("the password file " + file + " is empty");
        }
        return password;
    }

    /** Waits until a TCP connection to Bolt succeeds (a few seconds at most once started). */
    private static void awaitAccepting(String host, int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Bolt does not accept connections on " + host
                            + ":" + port, e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** Starts a daemon thread that ends the process (cleanly, via the hook) at stdin's EOF. */
    private static void watchStdin() {
        Thread watcher = new Thread(
                () -> {
                    byte[] buffer = new byte[256];
                    try (InputStream in = System.in) {
                        while (in.read(buffer) >= 0) {
                            // Input is ignored; only its end matters.
                        }
                    } catch (IOException e) {
                        log("standard input failed: " + e);
                    }
                    log("standard input closed: shutting down");
                    System.exit(0);
                },
                "cityagent-stdin-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private void awaitShutdown() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Shuts the DBMS down once; called by the shutdown hook (SIGTERM, SIGINT, System.exit). */
    private void shutdown() {
        synchronized (this) {
            if (shutDown) {
                return;
            }
            shutDown = true;
        }
        try {
            // A signal during start-up waits for the DBMS to finish starting, then stops it.
            buildOver.await(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        DatabaseManagementService toStop;
        Log4jLogProvider logToClose;
        synchronized (this) {
            toStop = service;
            logToClose = userLog;
            service = null;
            userLog = null;
        }
        try {
            if (toStop != null) {
                log("shutting down");
                toStop.shutdown();
                log("shut down cleanly");
            }
        } catch (Throwable t) {
            log("shutdown failed: " + t);
            t.printStackTrace(System.err);
        } finally {
            if (logToClose != null) {
                logToClose.close();
            }
            System.err.flush();
            stopped.countDown();
        }
    }

    static Options parse(String[] args) {
        Path home = null;
        String host = "127.0.0.1";
        int port = 7687;
        long pageCache = parseSize("256m");
        boolean auth = true;
        Path passwordFile = null;
        Path pluginDir = null;
        boolean watchStdin = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--home" -> home = Path.of(value(args, ++i, arg)).toAbsolutePath();
                case "--listen" -> {
                    String listen = value(args, ++i, arg);
                    int colon = listen.lastIndexOf(':');
                    if (colon <= 0 || colon == listen.length() - 1) {
                        throw new IllegalArgumentException(
                                "--listen needs HOST:PORT, got " + listen);
                    }
                    host = listen.substring(0, colon);
                    port = parsePort(listen.substring(colon + 1));
                }
                case "--pagecache" -> pageCache = parseSize(value(args, ++i, arg));
                case "--auth" -> auth = parseBoolean(value(args, ++i, arg));
                case "--password-file" ->
                        passwordFile = Path.of(value(args, ++i, arg)).toAbsolutePath();
                case "--plugins" -> pluginDir = Path.of(value(args, ++i, arg)).toAbsolutePath();
                case "--watch-stdin" -> watchStdin = true;
                default -> throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        if (home == null) {
            throw new IllegalArgumentException("--home is required");
        }
        if (auth && passwordFile == null) {
            throw new IllegalArgumentException("--auth true needs --password-file");
        }
        return new Options(home, host, port, pageCache, auth, passwordFile, pluginDir, watchStdin);
    }

    private static String value(String[] args, int index, String name) {
        if (index >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[index];
    }

    private static int parsePort(String text) {
        try {
            int port = Integer.parseInt(text);
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + text);
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port: " + text);
        }
    }

    private static boolean parseBoolean(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("expected true or false, got " + text);
        };
    }

    /** Parses sizes such as 512k, 256m, 1g (or plain bytes) into bytes. */
    static long parseSize(String text) {
        String trimmed = text.strip().toLowerCase(Locale.ROOT);
        if (!trimmed.matches("\\d+[kmg]?")) {
            throw new IllegalArgumentException("not a size such as 256m: " + text);
        }
        char unit = trimmed.charAt(trimmed.length() - 1);
        int shift = switch (unit) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? trimmed : trimmed.substring(0, trimmed.length() - 1);
        return Long.parseLong(digits) << shift;
    }

    private static void log(String message) {
        System.err.println(Instant.now() + " [cityagent-neo4j] " + message);
        System.err.flush();
    }
}
