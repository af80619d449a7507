"""Data sources: football-data.co.uk files (local mirror or download) and their parser.

``football_data`` says where the bytes come from (:class:`SourceFile`), ``football_data_parser`` turns one
file's bytes into canonical matches, long-format odds and quarantine rows, ``validation`` holds the pandera
schemas of those frames, ``odds_columns`` the bookmaker column grammar and ``team_names`` the alias table.
"""
