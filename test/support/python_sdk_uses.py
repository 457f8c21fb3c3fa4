"""What a Python program uses of a generated Pulumi SDK, read by Python's own parser.

Reads the program on stdin and the SDK's module name as argv[1]; prints JSON: every call into the SDK
("azure.VmWithReadySsh", with its keyword arguments and the variable it is assigned to), every attribute read
of those variables ("vm.vm_id"), and the attributes a lambda given to `var.attr.apply` reads of its argument.
A syntax error exits 1 with Python's message.
"""
import ast
import json
import sys


def dotted(node):
    """`a.b.c` as a list of names, or None when it is not a plain attribute chain."""
    names = []
    while isinstance(node, ast.Attribute):
        names.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.insert(0, node.id)
        return names
    return None


def main():
    source = sys.stdin.read()
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        print(f"line {error.lineno}: {error.msg}", file=sys.stderr)
        sys.exit(1)
    module = sys.argv[1]
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update(a.asname or a.name for a in node.names if a.name == module)
    assigned = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned[id(node.value)] = target.id
    calls, reads, applies = [], [], []
    variables = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        if name and name[0] in aliases:
            calls.append(
                {
                    "func": ".".join(name[1:]),
                    "positional": len(node.args),
                    "kwargs": [k.arg for k in node.keywords if k.arg],
                    "assignedTo": assigned.get(id(node)),
                    "line": node.lineno,
                }
            )
            if assigned.get(id(node)):
                variables.add(assigned[id(node)])
    for node in ast.walk(tree):
        name = dotted(node) if isinstance(node, ast.Attribute) else None
        if name and len(name) >= 2 and name[0] in variables:
            reads.append({"var": name[0], "attr": name[1], "line": node.lineno})
        if (
            isinstance(node, ast.Call)
            and name is None
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "apply"
            and node.args
            and isinstance(node.args[0], ast.Lambda)
        ):
            target = dotted(node.func.value)
            if target and len(target) == 2 and target[0] in variables:
                param = node.args[0].args.args[0].arg
                fields = sorted(
                    {
                        n.attr
                        for n in ast.walk(node.args[0].body)
                        if isinstance(n, ast.Attribute)
                        and isinstance(n.value, ast.Name)
                        and n.value.id == param
                    }
                )
                applies.append({"var": target[0], "attr": target[1], "fields": fields})
    calls.sort(key=lambda call: call["line"])
    reads.sort(key=lambda read: read["line"])
    print(json.dumps({"calls": calls, "reads": reads, "applies": applies}))


main()
