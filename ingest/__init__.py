"""Ingestion: load policy files, split them into clauses, index them."""
