"""Stored files: every file the app keeps (issued documents, received originals, case documents) through one
interface, with its key, size and SHA-256 in the database, on a local folder or an S3-compatible object store."""
