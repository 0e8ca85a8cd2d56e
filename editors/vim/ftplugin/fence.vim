" Fence: comments, indentation and word characters.
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=#\ %s
setlocal comments=:#
setlocal formatoptions-=t formatoptions+=croql
setlocal expandtab shiftwidth=2 softtabstop=2
" Names hold dashes (web-api): let `w` and `*` treat them as one word.
setlocal iskeyword+=-
setlocal smartindent cinwords=

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< expandtab< shiftwidth< softtabstop< iskeyword< smartindent< cinwords<'
