.PARAMETER {{parameter}}
{{help}}
