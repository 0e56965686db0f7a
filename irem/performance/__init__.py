"""The Performance chapter: ``irem bench`` (bench), its tables and sentences (analysis) and figures."""
