a{{/* a comment
 over lines */}}b