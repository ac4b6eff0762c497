"""`portal backup PATH`: an online copy of the database, taken while the portal serves."""
