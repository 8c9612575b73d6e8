"""The HTTP edge: FastAPI service (API + admin + health) with the Gradio UI mounted at /ui."""
