"""The string catalogue: one module per area, each defining STRINGS = {"area.key": ("中文", "English")}."""
