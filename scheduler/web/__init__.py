"""HR's own page: ``scheduler serve`` (issue 19).

The last station: it calls the same code as the command line (pipeline.run
in a child process, rounds.record, rounds.history, the template writer)
and nothing in the package imports it.
"""
