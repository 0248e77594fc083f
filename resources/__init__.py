"""Data files shipped with Corral (sample folder, icons)."""
