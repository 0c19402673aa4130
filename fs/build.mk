# fs/ sources are added here as they land.
