"""The book's shared layer: tables, seed statistics, claims, notes and figure helpers.

It knows no chapter: each chapter's analysis (``irem.experiments.<chapter>.analysis``) builds on it.
"""
