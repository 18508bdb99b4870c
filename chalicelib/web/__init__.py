"""The hosted buyer pages: Jinja2 templates, their view models, static assets and gettext catalogues."""
