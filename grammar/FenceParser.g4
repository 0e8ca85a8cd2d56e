// Fence parser. The grammar is deliberately permissive about where items may appear (a `let`
// inside a namespace, a namespace inside a `when`): the AST builder checks placement and reports
// it with a precise message, which a parse error could not give.
parser grammar FenceParser;

options { tokenVocab = FenceLexer; }

// Error recovery skips the rest of a broken item and resumes at the next line (see
// compiler/syntax/parser.cpp); this exception carries it out of the rules to `item`.
@parser::header {
#ifndef FENCE_GEN_RESYNC_ITEM
#define FENCE_GEN_RESYNC_ITEM
namespace fence_gen { struct ResyncItem {}; }
#endif
}

file : item* EOF ;

item
  : importDecl
  | environmentsDecl
  | targetsDecl
  | letDecl
  | setDecl
  | namespaceBlock
  | clusterBlock
  | whenBlock
  | forBlock
  | tierBlock
  | defaultDeny
  | statement
  ;
  catch [antlr4::RecognitionException &e] {
    _errHandler->reportError(this, e);
    _localctx->exception = std::current_exception();
    _errHandler->recover(this, _localctx->exception);
  }
  catch [ResyncItem &] { }

importDecl       : IMPORT ( name | STRING ) ;
environmentsDecl : ENVIRONMENTS name ( COMMA name )* ;
// `targets k8s, cilium`: the targets the program builds for.
targetsDecl      : TARGETS name ( COMMA name )* ;
letDecl          : LET name envClause? targetClause? EQ value ;
setDecl          : SET name envClause? EQ value ;
envClause        : IN name ( COMMA name )* ;
targetClause     : FOR name ( COMMA name )* ;
value            : STRING | targetList ;

namespaceBlock : NAMESPACE nsName LBRACE item* RBRACE ;
clusterBlock   : CLUSTER LBRACE item* RBRACE ;
whenBlock      : WHEN name ( COMMA name )* targetClause? LBRACE item* RBRACE ;
// `for cilium { ... }`: items for some targets only.
forBlock       : targetClause LBRACE item* RBRACE ;
// `admin priority 10 { ... }`, `baseline priority 100 { ... }`: cluster-wide rules of a tier. The
// priority is optional here so that the AST builder can say what is missing (E0119).
tierBlock      : tier=( ADMIN | BASELINE ) ( PRIORITY priority=INT? )? LBRACE item* RBRACE ;

// `default deny ingress for web`: isolates some pods of the namespace, with no rule.
defaultDeny : DEFAULT DENY direction=( EGRESS | INGRESS | ALL ) ( FOR subjects )? ;

statement : subjects verb targetList ;
subjects  : ref ( COMMA ref )* ;
// Written as two LL(1) steps, so that an error after `may` says "expected 'reach' or 'be'".
// `send to` and `receive from` state one side of a connection only (its egress, its ingress).
verb      : modality ( REACH | BE REACHED BY | SEND TO | RECEIVE FROM ) ;
// `defer`: leave the decision to the next tier (tier blocks only).
modality  : MAY | MUST NOT | DEFER ;

targetList : target ( COMMA target )* ;
target     : peer ( portSpec l7? )? ;
peer       : primary ( EXCEPT primary )? ;
primary
  : cidr                          # cidrPeer
  | DNS_NAME                      # dnsPeer
  | ENTITY entityName             # entityPeer
  | ANYTHING                      # anythingPeer
  | ref                           # refPeer
  | LBRACE targetList RBRACE      # groupPeer
  ;
cidr       : IPV4 | IPV6 ;
entityName : name | CLUSTER | ALL ;

ref
  : nsRef SLASH podRef            # qualifiedRef
  | podRef                        # podOnlyRef
  | nsSelector                    # nsOnlyRef
  | ALL NAMESPACES                # allNamespacesRef
  ;
nsRef
  : nsName                        # nsByName
  | nsSelector                    # nsBySelector
  | ALL NAMESPACES                # nsAll
  ;
podRef
  : name                          # podByName
  | PODS_OPEN selectorBody        # podBySelector
  | ALL PODS                      # podAll
  ;
nsSelector : NS_OPEN selectorBody ;

selectorBody : ( requirement ( SEL_COMMA requirement )* )? SEL_CLOSE ;
requirement
  : key=selWord op=( SEL_EQ | SEL_NEQ ) val=selWord           # eqRequirement
  | key=selWord SEL_IN SEL_LPAREN selValues SEL_RPAREN        # inRequirement
  | key=selWord SEL_NOTIN SEL_LPAREN selValues SEL_RPAREN     # notInRequirement
  | key=selWord                                               # existsRequirement
  | SEL_BANG key=selWord                                      # notExistsRequirement
  ;
selValues : ( selWord ( SEL_COMMA selWord )* )? ;
selWord   : SEL_WORD | SEL_STRING | SEL_IN | SEL_NOTIN ;

portSpec : COLON ( portItem | LBRACE portItem ( COMMA portItem )* RBRACE ) ;
portItem : portValue ( SLASH protocol=name )? ;
portValue
  : INT ( DASH INT )?             # numericPort
  | name                          # namedPort
  | STAR                          # anyPort
  ;

l7       : HTTP httpRule ( COMMA httpRule )* ;
httpRule : METHOD STRING? ( HOST STRING )? ( HEADER STRING )* ;

// A namespace may be called `default`, Kubernetes' own.
nsName : name | DEFAULT ;

name : IDENT | CLUSTER | HTTP | HOST | HEADER | SEND | TO | RECEIVE | FROM | ADMIN | BASELINE | PRIORITY ;
