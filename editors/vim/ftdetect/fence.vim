" Fence: *.fence files.
autocmd BufRead,BufNewFile *.fence setfiletype fence
