"""The bundled demo city 「滨江市」: fictional but realistic government, finance, emergency data."""
