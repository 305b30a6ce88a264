"""SRE Backoffice service layer: domain logic and adapters, free of any UI framework."""
