<script>var a=1;/* x */var b=2; // line c
var c={{.V}};</script>