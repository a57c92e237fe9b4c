.PARAMETER InputObject
Lines of text from the pipeline, such as the output of a failed go command (go mod download 2>&1 | ...). They are used instead of -{{parameter}}.
