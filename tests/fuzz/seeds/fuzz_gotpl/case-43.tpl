line1
line2
{{if}}