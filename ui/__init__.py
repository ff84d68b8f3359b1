"""Every way in: the REST API, the Gradio app mounted on it, the WeChat callback and the CLI."""
