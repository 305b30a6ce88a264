"""The API process: one ASGI application (FastAPI on uvicorn) for everything that arrives over HTTP."""
