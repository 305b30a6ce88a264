"""Features travelling the SDLC phases, with the SRE practices as gates checked from data or signed off."""
