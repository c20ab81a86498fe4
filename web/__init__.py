"""The Starlette application that assembles everything, and the command line."""
