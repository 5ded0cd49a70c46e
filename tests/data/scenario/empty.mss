# Nothing but comments and blank lines.

   # indented comment
