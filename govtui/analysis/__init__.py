"""Pure analysis on tidy frames. This package's __init__ must not import pandas (the console imports results)."""
