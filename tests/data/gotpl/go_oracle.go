// SPDX-License-Identifier: MIT
//
// Maintainer tool, not part of `make test`: runs every case of cases.json through Go's own
// text/template and html/template and reports where the expected output ("want") or the
// expected error differs from what Go does, so the C engine's expectations are Go's, not ours.
// JSON numbers become int when integral, float64 otherwise (as Go values in wg-portal's data).
//
//	go run tests/data/gotpl/go_oracle.go tests/data/gotpl/cases.json
//
// With "render FILE DATA.json KEY" it prints FILE (.gotpl: text/template, .gohtml:
// html/template) executed with DATA[KEY] as Go does, to make the golden files:
//
//	go run tests/data/gotpl/go_oracle.go render F tests/data/gotpl/mail-data.json attachment
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltpl "html/template"
	"os"
	"strings"
	texttpl "text/template"
)

type tcase struct {
	Name      string         `json:"name"`
	HTML      bool           `json:"html"`
	Tpl       string         `json:"tpl"`
	Data      map[string]any `json:"data"`
	Want      *string        `json:"want"`
	Error     string         `json:"error"`
	ExecError string         `json:"exec_error"`
	GoSkip    string         `json:"go_skip"`
}

func conv(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = conv(e)
		}
	case []any:
		for i, e := range x {
			x[i] = conv(e)
		}
	}
	return v
}

func render(file, dataFile, key string) {
	text, err := os.ReadFile(file)
	if err != nil {
		panic(err)
	}
	raw, _ := os.ReadFile(dataFile)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var all map[string]any
	if err := dec.Decode(&all); err != nil {
		panic(err)
	}
	data := conv(all[key])
	if strings.HasSuffix(file, ".gohtml") {
		err = htmltpl.Must(htmltpl.New("t").Parse(string(text))).Execute(os.Stdout, data)
	} else {
		err = texttpl.Must(texttpl.New("t").Parse(string(text))).Execute(os.Stdout, data)
	}
	if err != nil {
		panic(err)
	}
}

func main() {
	if os.Args[1] == "render" {
		render(os.Args[2], os.Args[3], os.Args[4])
		return
	}
	raw, _ := os.ReadFile(os.Args[1])
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var cases []tcase
	if err := dec.Decode(&cases); err != nil {
		panic(err)
	}
	bad := 0
	for _, c := range cases {
		if c.GoSkip != "" {
			fmt.Printf("skip  %s (%s)\n", c.Name, c.GoSkip)
			continue
		}
		data := conv(c.Data)
		var out bytes.Buffer
		var perr, xerr error
		if c.HTML {
			t, err := htmltpl.New("t").Parse(c.Tpl)
			perr = err
			if err == nil {
				xerr = t.Execute(&out, data)
			}
		} else {
			t, err := texttpl.New("t").Parse(c.Tpl)
			perr = err
			if err == nil {
				xerr = t.Execute(&out, data)
			}
		}
		ok := true
		switch {
		case c.Error != "":
			ok = perr != nil
		case c.ExecError != "":
			ok = perr == nil && xerr != nil
		default:
			ok = perr == nil && xerr == nil && c.Want != nil && out.String() == *c.Want
		}
		if !ok {
			bad++
			fmt.Printf("DIFF  %s\n  go out: %q\n  parse: %v\n  exec:  %v\n", c.Name, out.String(), perr, xerr)
			if c.Want != nil {
				fmt.Printf("  want:   %q\n", *c.Want)
			}
		} else {
			fmt.Printf("ok    %s\n", c.Name)
		}
	}
	fmt.Printf("%d cases, %d differ from Go\n", len(cases), bad)
	if bad > 0 {
		os.Exit(1)
	}
}
