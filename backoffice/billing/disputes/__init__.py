"""Disputes with hospitals: the letter asking a hospital to correct the disputed lines of a bill (`letters`)."""
