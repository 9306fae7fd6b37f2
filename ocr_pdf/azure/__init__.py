"""Azure AI Vision and Document Intelligence over REST: the API table, the one transport, and
one module per API holding its engine, its parser and its writer (see docs/azure.md)."""
