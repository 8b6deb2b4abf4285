" Vim syntax file for Rubric schemes (*.rubric). Same categories as the VS Code grammar.
if exists('b:current_syntax')
  finish
endif

syn iskeyword @,48-57,_,192-255

syn keyword rubricDeclaration scheme as_of input events let points score grade tags test use
syn keyword rubricControl     when otherwise if then else by
syn keyword rubricKeyword     weight bonus key given expect where
syn keyword rubricOperatorWord and or not in between within has is missing present
syn keyword rubricBoolean     true false
syn keyword rubricToday       today
syn keyword rubricType        text int decimal bool date contained
" `next` is a keyword only after `within` (`d within next 30d`)
syn match rubricOperatorWord '\(\<within\s\+\)\@<=next\>'

syn match rubricFunction '\<\(total\|mean\|min_of\|max_of\|count\|rank\|top_share\|cumulative_share\)\ze\s*('
syn match rubricBuiltin  '\<\(days_since\|months_since\|years_since\|year\|starts_with\|ends_with\|contains\|lower\|upper\|len\|min\|max\|abs\|round\|count_true\|substr\)\ze\s*('

" Digits are ASCII or full-width (`５０００` reads as 5000); `5万` and `1.5亿` are numbers. A number
" starts where no word character is before it (`营业额5万` is one name) and no ASCII letter follows it;
" in `50万元` only `50` is one (the unit word is an error).
syn match rubricNumber   '\k\@<![0-9０-９][0-9０-９_]*\%(\.[0-9０-９][0-9０-９_]*\)\=\%([万亿]\k\@!\)\=[A-Za-z0-9_]\@!'
syn match rubricPercent  '\k\@<![0-9０-９][0-9０-９_]*\%(\.[0-9０-９][0-9０-９_]*\)\=[%％]'
syn match rubricDuration '\k\@<![0-9０-９][0-9０-９_]*\(d\|w\|mo\|y\)\>'
syn match rubricDate     '\<\d\{4}-\d\{2}-\d\{2}\>'

syn match rubricEscape contained '\\["\\nt]'
syn region rubricString start='"' skip='\\.' end='"' end='$' contains=rubricEscape oneline

" the type of an input field: `name TYPE?`
syn match rubricFieldType '\(^\|[{,]\)\s*\k\+\s\+\zs\(text\|int\|decimal\|bool\|date\)\>?\=' contains=rubricType
" a grade or tags code: the identifier before `when`/`otherwise`, or before a label that ends the line
" or comes before `when`/`otherwise`
syn match rubricCode '\<\k\+\ze\s*\("\([^"\\]\|\\.\)*"\s*\(\<\(when\|otherwise\)\>\|//\|$\)\|\<\(when\|otherwise\)\>\)'

syn match rubricComment    '//.*$' contains=@Spell
syn match rubricDocComment '///\(/\)\@!.*$' contains=@Spell

hi def link rubricDeclaration Keyword
hi def link rubricControl     Conditional
hi def link rubricKeyword     Keyword
hi def link rubricOperatorWord Operator
hi def link rubricBoolean     Boolean
hi def link rubricToday       Constant
hi def link rubricType        Type
hi def link rubricFieldType   Type
hi def link rubricFunction    Function
hi def link rubricBuiltin     Function
hi def link rubricNumber      Number
hi def link rubricPercent     Number
hi def link rubricDuration    Number
hi def link rubricDate        Constant
hi def link rubricString      String
hi def link rubricEscape      SpecialChar
hi def link rubricCode        Identifier
hi def link rubricComment     Comment
hi def link rubricDocComment  SpecialComment

let b:current_syntax = 'rubric'
