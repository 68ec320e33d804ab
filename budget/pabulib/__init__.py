"""Pabulib (https://pabulib.org), the shared format of participatory-budget elections:
`format` reads and writes the files, `exchange` turns a file into a historical cycle and a
cycle into a file."""
