"""The PySide6 wizard (Qt only): `app.run()` opens it; pages live in `wizard.ui.pages`."""
