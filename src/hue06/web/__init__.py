"""App assembly: routers of every module, base templates, static files, translations."""
