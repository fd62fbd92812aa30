"""Yellowstone gRPC (Geyser): the project's wire-compatible protocol files, generated stubs and client."""
