// VSpec: the vcpuspec specification language.
// Syntax only; every rule about names, widths and bits lives in gen/sema.
// docs/dsl.md describes the language; spec/ is the real spec written in it.
grammar VSpec;

spec : decl* EOF ;

decl
  : registerDecl
  | msrDecl
  | structDecl
  | groupDecl
  | paramDecl
  | featureDecl
  | controlDecl
  | controlWordDecl
  | defDecl
  | checkDecl
  | nonCheckDecl
  | transitionDecl
  | modeDecl
  | stateDecl
  | varDecl
  | eventDecl
  | opDecl
  | flowDecl
  | instructionDecl
  | propertyDecl
  | withBlock
  | forallBlock
  ;

// ---- blocks that share clauses and rules ---------------------------------------------
// `with scope vmx, when !RFLAGS.VM { ... }`: every declaration inside takes
// the clauses (TableGen's `let ... in { }`): its own `scope` wins, `when`s are
// and-ed (outer first), `cite`s are listed before its own. Expanded by the
// front end; sema sees plain declarations.
withBlock   : 'with' withClause (',' withClause)* '{' decl* '}' ;
withClause
  : 'scope' IDENT                      # withScope
  | 'when' expr                        # withWhen
  | 'cite' citation                    # withCite
  ;
// `forall S in {DS, ES, FS, GS} { ... }`: the declarations once per member,
// with S replaced in names (the head of an expression's name, any part of a
// declaration's id) and `{S}` replaced in strings.
forallBlock : 'forall' IDENT 'in' '{' qname (',' qname)* '}' '{' decl* '}' ;

// ---- declarations of state -------------------------------------------------

registerDecl : 'register' qname ':' INT doc? body ;
msrDecl      : 'msr' qname INT ':' INT doc? body ;
body         : fieldBlock | ';' ;
fieldBlock   : '{' fieldItem* '}' ;
fieldItem
  : IDENT bitRange doc? ';'                             # namedField
  | 'alias' IDENT bitRange doc? ';'                     # aliasField
  | 'reserved' bitRange (',' bitRange)* ';'             # reservedBits
  | 'fixed1' bitRange (',' bitRange)* ';'               # fixedOneBits
  ;
bitRange : INT (':' INT)? ;

// A struct is a layout shared by several registers (segments, descriptor tables).
structDecl : 'struct' IDENT doc? '{' memberDecl* '}' ;
memberDecl : IDENT ':' INT doc? body ;
groupDecl  : kind=('segment' | 'dtable') qname (',' qname)* ':' IDENT doc? ';' ;

// ---- configuration -------------------------------------------------------------

paramDecl   : 'param' qname ':' paramType ('=' expr)? doc? ';' ;
paramType   : INT                # paramWidth
            | INT '..' INT       # paramRange
            ;
featureDecl : 'feature' qname ('=' expr)? doc? ';' ;
controlDecl : 'control' qname (':' INT)? ('=' expr)? doc? ';' ;
// A control word (a VMCS control field, a VMCB word), declared like a
// register: each named bit is a 1-bit control, `entry.load_efer` for the bit
// `load_efer` of word `entry` (a dotted name is taken as written). Readers
// split a raw word by these bits; `entry` in an expression is the word they
// make. A VMCB word names its offset (`at 0x090`) and may have no name.
controlWordDecl : 'control' qname? ':' INT ('at' INT)? doc? '{' controlBit* '}' ;
// `loads R, ...`: VM entry (VMRUN) loads those guest fields only when the bit
// is 1; where it is 0 their fields are not the guest's values. `loads R else
// e`: where it is 0 the guest's R is `e` (EFER keeps the VMM's, LMA/LME aside).
// `activates W`: VM entry acts as if every control of word W were 0 where
// this bit is 0 (the secondary controls under "activate secondary controls").
controlBit      : qname INT ('=' def=expr)? doc? ('activates' gated=qname)?
                  ('loads' qname (',' qname)* ('else' otherwise=expr)?)? ';' ;

// ---- predicates ------------------------------------------------------------------

defDecl   : 'def' IDENT '(' (defParam (',' defParam)*)? ')' doc? '=' expr ';' ;
// A parameter is a value of a width, a value with a register's fields
// (`v : CR0` gives `v.PG`), or a segment register named at the call
// (`s : Segment` gives `s.ar.P`; the call passes `DS`).
defParam  : IDENT ':' (INT | IDENT) ;

checkDecl   : 'check' qname STRING checkClause* 'assert' expr ';' ;
// A rule the catalogue records that hardware does NOT check: documented, never evaluated.
nonCheckDecl : 'noncheck' qname STRING checkClause* ';' ;
// A rule about a write, not a state: `old.X` is the value before the write,
// `X` the value after it; `on` names what the write targets (MOV to CR0: CR0).
// `on` is matched as an identifier so that fields and variables may still be named `on`.
transitionDecl : 'transition' qname STRING checkClause* onClause checkClause* 'assert' expr ';' ;
onClause       : IDENT qname (',' qname)* ;
// An operating mode of the CPU (real, protected, 64-bit, SMM, ...): a
// predicate over one state. `vcpuspec render modes` asks Z3 which single
// writes move a legal state from one mode to another.
modeDecl       : 'mode' qname STRING checkClause* '=' expr ';' ;
checkClause
  : 'cite' citation                    # citeClause
  | 'scope' IDENT                      # scopeClause
  | 'when' expr                        # whenClause
  | 'overlaps' qname (',' qname)*      # overlapsClause
  | 'note' STRING                      # noteClause
  | 'question' IDENT                   # questionClause
  ;

// A citation: a source a reader can open, `cite sdm "27.3.1.2" vol 3 "what it
// says"`, `cite linux "arch/x86/kvm/x86.c" fn kvm_set_cr0 at "v6.12"`; or, for
// what has no such source yet, free text. The kinds and attributes are checked
// by the front end (gen/support/citation.cpp), so they are not keywords.
citation
  : STRING                                  # textCitation
  | kind=IDENT STRING citeAttr* STRING?     # sourceCitation
  ;
citeAttr : key=('at' | IDENT) value=(IDENT | STRING | INT) ;

// ---- reset states ------------------------------------------------------------------

// A VMM's own RESET or INIT is a state `for` the architectural one, named
// after the VMM (`state qemu.RESET for RESET`); `differs KIND "why"` on an
// item classifies where it departs from that state (`vcpuspec compare`).
stateDecl : 'state' qname ('(' IDENT ')')? ('for' IDENT)? doc? ('cite' citation)* '{' stateItem* '}' ;
stateItem
  : 'like' qname ';'                                           # likeItem
  | 'keep' qname (',' qname)* differs? itemCite? ';'           # keepItem
  | 'unspecified' qname (',' qname)* differs? itemCite? ';'    # unspecifiedItem
  | qname '=' expr differs? itemCite? ';'                      # assignItem
  | qname '=' '{' memberInit (',' memberInit)* '}' differs? itemCite? ';'  # structItem
  ;
memberInit : qname expr ;
differs    : 'differs' IDENT STRING ;
itemCite   : ('cite' citation)+ ;

// ---- the hypervisor model: variables, events, operations, flows -------------------
// Architectural registers above are the guest-visible view (what KVM_GET_SREGS
// returns); `var` declares hypervisor-internal state (VMCS/VMCB fields, caches).

varDecl   : 'var' qname ':' typeRef ('=' expr)? doc? ';' ;
typeRef   : INT          # widthType
          | 'bool'       # boolType
          | IDENT        # layoutType
          ;
eventDecl : 'event' qname (',' qname)* doc? ';' ;

opDecl    : 'op' qname '(' (formal (',' formal)*)? ')' doc? ('cite' citation)* block ;
formal    : IDENT ':' typeRef ;
flowDecl  : 'flow' qname '(' (formal (',' formal)*)? ')' doc? flowClause* block ;
flowClause
  : 'cite' citation                    # flowCite
  | 'scope' IDENT                      # flowScope
  | 'kernel' STRING                    # flowKernel
  ;

// ---- the mode machine's instructions and signals ---------------------------------------
// `instruction MOV_CR0 "MOV CR0" on CR0 cite ... { ... }`: what one instruction
// (or, with `signal`, one event that reaches the CPU: SMI, INIT, an interrupt)
// does to the architectural state. The body is a program over the state
// before it (`old.X`) that `assume`s what the CPU needs to take it and writes
// what it leaves; `X := any` is a value the manuals leave to the instruction's
// operands, `state := INIT` loads a declared state. `render modes` tries each.
instructionDecl : kind=('instruction' | 'signal') qname STRING instrClause* block ;
instrClause
  : 'cite' citation                    # instrCite
  | IDENT qname (',' qname)*           # instrOn   // `on CR0`: matched as an identifier, as in transitions
  | 'note' STRING                      # instrNote
  ;

block : '{' stmt* '}' ;
stmt
  : 'let' IDENT '=' expr ';'                                        # letStmt
  | qname ':=' expr ';'                                             # assignStmt
  | qname ':=' '{' memberInit (',' memberInit)* '}' ';'             # structAssignStmt
  | ifStmt                                                          # ifStatement
  | 'emit' qname ';'                                                # emitStmt
  | 'assume' expr ';'                                               # assumeStmt
  | qname '(' (expr (',' expr)*)? ')' ';'                           # callStmt
  | qname ':=' 'any' ';'                                            # anyStmt
  | 'state' ':=' (IDENT | 'any') ';'                                # stateStmt
  | 'forall' IDENT 'in' '{' qname (',' qname)* '}' block            # forallStmt
  ;
ifStmt : 'if' expr block ('else' (block | ifStmt))? ;

// ---- properties of flows ---------------------------------------------------------------

propertyDecl : 'property' qname STRING propClause* propForm ';' ;
propClause
  : 'cite' citation                    # propCite
  | 'patch' STRING                     # propPatch
  | 'scope' IDENT                      # propScope
  | 'when' expr                        # propWhen
  | 'note' STRING                      # propNote
  ;
propForm
  : 'always' expr                                          # alwaysForm
  | 'at' 'event' qname ':' expr                            # atEventForm
  | 'finally' 'in' IDENT ('except' qname (',' qname)*)?    # finallyInForm
  | 'finally' expr                                         # finallyForm
  | 'order' qname 'before' qname                           # orderForm
  ;

// ---- expressions ---------------------------------------------------------------------
// Precedence follows Rust, not C: bit operators bind tighter than comparisons,
// so `CR0 & 0x1 == 0` means `(CR0 & 0x1) == 0`.

expr
  : primary                                                   # primaryExpr
  | expr '[' INT (':' INT)? ']'                               # sliceExpr
  | op=('!' | '~' | '-') expr                                 # unaryExpr
  | expr op=('+' | '-') expr                                  # addExpr
  | expr op=('<<' | '>>') expr                                # shiftExpr
  | expr '&' expr                                             # bitAndExpr
  | expr '^' expr                                             # bitXorExpr
  | expr '|' expr                                             # bitOrExpr
  | expr op=('==' | '!=' | '<' | '<=' | '>' | '>=') expr      # compareExpr
  | expr 'in' '{' expr (',' expr)* '}'                        # inExpr
  | expr '&&' expr                                            # andExpr
  | expr '||' expr                                            # orExpr
  | <assoc=right> expr '->' expr                              # impliesExpr
  | <assoc=right> expr '?' expr ':' expr                      # condExpr
  // `forall S in {DS, ES}: S.ar.P` is `DS.ar.P && ES.ar.P`: the body once per
  // member, and-ed in order. The body reaches as far right as it can.
  | 'forall' IDENT 'in' '{' qname (',' qname)* '}' ':' expr   # forallExpr
  ;

primary
  : INT                                       # intLit
  | ('true' | 'false')                        # boolLit
  | IDENT '(' (expr (',' expr)*)? ')'         # callExpr
  | qname                                     # nameExpr
  | '(' expr ')'                              # parenExpr
  ;

qname : IDENT ('.' IDENT)* ;
doc   : STRING ;

// ---- lexer ---------------------------------------------------------------------------

INT     : '0' [xX] [0-9a-fA-F_]+ | '0' [bB] [01_]+ | [0-9] [0-9_]* ;
IDENT   : [A-Za-z_] [A-Za-z0-9_]* ;
STRING  : '"' ( '\\' . | ~["\\\r\n] )* '"' ;
LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
WS      : [ \t\r\n]+ -> skip ;
// Anything else is one bad character: the parser reports it with its position.
ERRCHAR : . ;
