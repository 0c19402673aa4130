# app/ sources are added here as they land.
