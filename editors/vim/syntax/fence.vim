" Vim syntax file for Fence (.fence), the network-intent language.
" The keyword lists below are the lexer's (grammar/FenceLexer.g4); a test compares them.
if exists('b:current_syntax')
  finish
endif

syn case match
syn iskeyword @,48-57,_,-

" Comments and strings.
syn match fenceComment "#.*$" contains=@Spell
syn region fenceString start=+"+ skip=+\\.+ end=+"+ end=+$+ oneline contains=fenceEscape
syn match fenceEscape "\\." contained

" BEGIN keywords
syn keyword fenceKeyword import namespace cluster when environments targets let set default deny admin baseline priority
syn keyword fenceVerb may must not defer reach be reached by send to receive from
syn keyword fenceOperatorWord except in
syn keyword fenceKeywordOther all pods namespaces egress ingress entity http host header anything for
" END keywords
syn keyword fenceMethod GET HEAD POST PUT DELETE PATCH OPTIONS CONNECT TRACE ANY
" `ns` is a keyword only where it opens a selector.
syn match fenceKeywordOther "\<ns\ze\s*\["

" Definitions and namespaces.
syn match fenceDefinition "\%(\<\%(let\|set\)\s\+\)\@<=[A-Za-z_][A-Za-z0-9_]*\%(-\+[A-Za-z0-9_]\+\)*"
syn match fenceNamespace "\%(\<namespace\s\+\)\@<=[A-Za-z_][A-Za-z0-9_]*\%(-\+[A-Za-z0-9_]\+\)*"
syn match fenceNamespace "[A-Za-z_][A-Za-z0-9_-]*\ze\s*/"
syn match fenceEntity "\%(\<entity\s\+\)\@<=[A-Za-z_][A-Za-z0-9_-]*"

" Ports: :5432, :53/udp, :8000-8999, :http, :*/udp, and sets in braces.
syn match fencePortSep ":" nextgroup=fencePort,fencePortSet skipwhite
syn match fencePort "\d\+\%(-\d\+\)\=\|\*\|[A-Za-z_][A-Za-z0-9_-]*" contained nextgroup=fenceProtocolSep skipwhite
syn region fencePortSet matchgroup=fenceDelimiter start="{" end="}" contained contains=fencePortItem,fenceComment
syn match fencePortItem "\d\+\%(-\d\+\)\=\|\*\|[A-Za-z_][A-Za-z0-9_-]*" contained nextgroup=fenceProtocolSep skipwhite
syn match fenceProtocolSep "/" contained nextgroup=fenceProtocol skipwhite
syn match fenceProtocol "[A-Za-z_][A-Za-z0-9_]*" contained

" Addresses and DNS names (after the ports: where both match at one place, the later wins).
syn match fenceDnsName "\%([A-Za-z0-9_*]\%([A-Za-z0-9_*-]*[A-Za-z0-9_*]\)\=\.\)\+[A-Za-z0-9_*]\%([A-Za-z0-9_*-]*[A-Za-z0-9_*]\)\=\.\="
syn match fenceCidr "\<\d\{1,3}\%(\.\d\{1,3}\)\{3}\%(/\d\+\)\="
syn match fenceCidr "\%(^\|[^A-Za-z0-9_.:*-]\)\@<=[0-9a-fA-F]*:[0-9a-fA-F:.]*/\d\+"

" Selectors: pods[...] and ns[...], in kubectl's label-selector syntax.
" The region opens at the bracket: `pods` itself is a keyword, and keywords win over regions.
syn region fenceSelector matchgroup=fenceDelimiter start="\%(\<\%(pods\|ns\)\s*\)\@<=\[" end="\]" contains=fenceLabelKey,fenceSelectorOp,fenceSelectorValues,fenceString,fenceComment
syn match fenceLabelKey "[A-Za-z0-9_./-]\+" contained
syn match fenceSelectorOp "!=\|==\|=\|!\|\<notin\>\|\<in\>" contained nextgroup=fenceLabelValue skipwhite
syn match fenceLabelValue "[A-Za-z0-9_./-]\+" contained
syn region fenceSelectorValues matchgroup=fenceDelimiter start="(" end=")" contained contains=fenceLabelValueInList,fenceString
syn match fenceLabelValueInList "[A-Za-z0-9_./-]\+" contained

hi def link fenceComment Comment
hi def link fenceString String
hi def link fenceEscape SpecialChar
hi def link fenceKeyword Keyword
hi def link fenceVerb Statement
hi def link fenceOperatorWord Operator
hi def link fenceKeywordOther Keyword
hi def link fenceMethod Constant
hi def link fenceDefinition Identifier
hi def link fenceNamespace Type
hi def link fenceEntity Constant
hi def link fenceDnsName Underlined
hi def link fenceCidr Number
hi def link fencePortSep Delimiter
hi def link fencePort Number
hi def link fencePortItem Number
hi def link fenceProtocolSep Delimiter
hi def link fenceProtocol Constant
hi def link fenceLabelKey Identifier
hi def link fenceSelectorOp Operator
hi def link fenceLabelValue String
hi def link fenceLabelValueInList String
hi def link fenceDelimiter Delimiter

let b:current_syntax = 'fence'
