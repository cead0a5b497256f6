{{if $.User.Firstname}}
Hello {{$.User.Firstname}} {{$.User.Lastname}},
{{else}}
Hello,
{{end}}
