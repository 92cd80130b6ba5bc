"""Sans-IO RESP layer: the request parser, the reply encoder and the reply value types."""
