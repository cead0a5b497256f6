<style>a{b:c}/* x */d{e:f} // line
 g{}</style>