// Fence lexer. Two modes: the default mode, and SELECTOR, entered at `pods[` or `ns[`, where
// kubectl's label-selector syntax applies (keys and values may hold dots, slashes and digits).
// The token names double as the vocabulary the editors' highlighting is tested against.
lexer grammar FenceLexer;

// ---- keywords (reserved) ----
IMPORT       : 'import';
NAMESPACE    : 'namespace';
DEFAULT      : 'default';
DENY         : 'deny';
EGRESS       : 'egress';
INGRESS      : 'ingress';
ALL          : 'all';
PODS         : 'pods';
NAMESPACES   : 'namespaces';
MAY          : 'may';
MUST         : 'must';
NOT          : 'not';
REACH        : 'reach';
BE           : 'be';
REACHED      : 'reached';
BY           : 'by';
LET          : 'let';
IN           : 'in';
EXCEPT       : 'except';
ENTITY       : 'entity';
WHEN         : 'when';
ENVIRONMENTS : 'environments';
TARGETS      : 'targets';
SET          : 'set';
ANYTHING     : 'anything';
FOR          : 'for';
// `defer`: a tier's rule that leaves the decision to the next tier (ClusterNetworkPolicy's Pass).
DEFER        : 'defer';
// ---- soft keywords (also usable as names where no keyword fits) ----
CLUSTER      : 'cluster';
HTTP         : 'http';
HOST         : 'host';
SEND         : 'send';
TO           : 'to';
RECEIVE      : 'receive';
FROM         : 'from';
// Tier blocks: `admin priority 10 { ... }`, `baseline priority 100 { ... }`.
ADMIN        : 'admin';
BASELINE     : 'baseline';
PRIORITY     : 'priority';
HEADER       : 'header';
// HTTP methods, upper case as in the protocol; ANY matches every method.
METHOD       : 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS' | 'CONNECT' | 'TRACE' | 'ANY';

// ---- selectors ----
PODS_OPEN    : 'pods' [ \t]* '[' -> pushMode(SELECTOR);
NS_OPEN      : 'ns' [ \t]* '['   -> pushMode(SELECTOR);

// ---- punctuation ----
LBRACE : '{';
RBRACE : '}';
COMMA  : ',';
COLON  : ':';
SLASH  : '/';
DASH   : '-';
EQ     : '=';
STAR   : '*';

// ---- literals ----
STRING    : '"' ( ~["\\\r\n] | '\\' ~[\r\n] )* '"';
// An IPv4 address with an optional prefix; the resolver insists on the prefix and says so.
IPV4      : OCTET '.' OCTET '.' OCTET '.' OCTET ( '/' [0-9]+ )?;
// An IPv6 CIDR always carries its prefix: without it `cafe:80` would be ambiguous with a port.
IPV6      : [0-9a-fA-F]* ':' [0-9a-fA-F:.]* '/' [0-9]+;
// Dotted names are DNS names (`api.stripe.com`, `*.stripe.com`); workload names carry no dots.
DNS_NAME  : DNS_LABEL ( '.' DNS_LABEL )+ '.'?;
INT       : [0-9]+;
// `8x0`, `3scale`: neither a number nor a name. A token of its own, for a clear message.
BAD_WORD  : [0-9]+ [a-zA-Z_] [a-zA-Z0-9_]*;
IDENT     : [a-zA-Z_] [a-zA-Z0-9_]* ( '-'+ [a-zA-Z0-9_]+ )*;

COMMENT : '#' ~[\r\n]* -> channel(HIDDEN);
WS      : [ \t\r\n\f]+ -> skip;
// Anything else becomes a token the parser rejects with a located message.
UNKNOWN : .;

fragment OCTET     : [0-9] [0-9]? [0-9]?;
fragment DNS_LABEL : [a-zA-Z0-9_*] ( [a-zA-Z0-9_*-]* [a-zA-Z0-9_*] )?;

mode SELECTOR;
SEL_CLOSE   : ']' -> popMode;
SEL_COMMA   : ',';
SEL_LPAREN  : '(';
SEL_RPAREN  : ')';
SEL_NEQ     : '!=';
SEL_EQ      : '==' | '=';
SEL_BANG    : '!';
SEL_IN      : 'in';
SEL_NOTIN   : 'notin';
SEL_STRING  : '"' ( ~["\\\r\n] | '\\' ~[\r\n] )* '"';
// Deliberately loose: label-key and label-value syntax is checked later, with better messages.
SEL_WORD    : [a-zA-Z0-9_./-]+;
SEL_COMMENT : '#' ~[\r\n]* -> channel(HIDDEN);
SEL_WS      : [ \t\r\n\f]+ -> skip;
SEL_UNKNOWN : .;
