"""The population register: residents, households, residence and digital addresses."""
