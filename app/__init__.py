"""The Streamlit UI: a router, cached readers and shared widgets. Pages render; services decide."""
