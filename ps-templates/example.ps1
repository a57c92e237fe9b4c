.EXAMPLE
PS> {{code}}

{{remarks}}
