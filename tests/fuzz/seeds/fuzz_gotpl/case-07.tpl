a  
 {{- .X -}} 
  b {{- /* gone */ -}}  c