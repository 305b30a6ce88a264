"""The Testing practice: unit, integration, system and acceptance test runs imported from JUnit XML and TRX."""
