/** Inputs that once stopped, starved or misled the server, shared by the hostile-input tests. */

/** A Guardrail whose config expands to 10^9 nodes through nine levels of aliases (629 bytes). */
export const BILLION_LAUGHS = `apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: lol}
spec:
  type: keywords
  config:
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
    words: *i
`;
