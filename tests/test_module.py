"""mtf.Module: the behaviours TensorFlow's module_test.py checks, ported, plus §4 extras."""
import abc
import collections
import copy
import inspect
import typing

import numpy as np
import pytest

import minitf as mtf
from minitf import module as module_lib


def current_scope():
    """The active name scope prefix, read the way TF's module_test does."""
    with mtf.name_scope("x") as scope:
        return scope[: -len("x/")]


# ---- modules used by the tests (as in module_test.py)

class RecursiveModule(mtf.Module):
    def __init__(self, depth, trainable=True):
        super().__init__(name="badger")
        with self.name_scope:
            self.child = None
            if depth > 1:
                self.child = RecursiveModule(depth - 1, trainable=trainable)
            self.w = mtf.Variable(1.0, trainable=trainable, name="mushroom")


class ReturnsNameScopeModule(mtf.Module):
    @mtf.Module.with_name_scope
    def alternative_forward(self):
        return current_scope()

    @mtf.Module.with_name_scope
    def __call__(self):
        return current_scope()


class SubclassedReturnsNameScopeModule(ReturnsNameScopeModule):
    @mtf.Module.with_name_scope
    def alternative_alternative_forward(self):
        return current_scope()


class ModuleOverridingNameScope(ReturnsNameScopeModule):
    @property
    def name_scope(self):
        return mtf.name_scope("yolo/")


class PropertyThrowsWhenCalledModule(mtf.Module):
    @property
    def raise_assertion_error(self):
        raise AssertionError("property evaluated")


class PropertyModule(mtf.Module):
    def __init__(self):
        super().__init__()
        self._setter_scope_name = None

    @property
    @mtf.Module.with_name_scope
    def some_property(self):
        return current_scope(), self._setter_scope_name

    @some_property.setter
    @mtf.Module.with_name_scope
    def some_property(self, value):
        self._setter_scope_name = current_scope()

    @property
    def no_name_scope_property(self):
        return current_scope(), self._setter_scope_name

    @no_name_scope_property.setter
    def no_name_scope_property(self, value):
        self._setter_scope_name = current_scope()


class TreeModule(mtf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self._leaves = []

    @mtf.Module.with_name_scope
    def new_leaf(self, name=None):
        leaf = TreeModule(name=name)
        self._leaves.append(leaf)
        return leaf


class ErrorModuleError(Exception):
    pass


class ErrorModule(mtf.Module):
    def __init__(self, call_super, raise_in_constructor=True):
        if call_super:
            super().__init__()
        if raise_in_constructor:
            raise ErrorModuleError("Deliberate error!")

    @mtf.Module.with_name_scope
    def __call__(self):
        raise ErrorModuleError("Deliberate error!")


class AbstractModule(mtf.Module, abc.ABC):
    @abc.abstractmethod
    def __call__(self, x):
        pass


class ConcreteModule(AbstractModule):
    @mtf.Module.with_name_scope
    def __call__(self, x):
        return x ** 2, current_scope()


class MemberType:
    """A simple type to search for."""


def is_member(value):
    return isinstance(value, MemberType)


class SimpleModule(mtf.Module):
    def __init__(self, create_child=True, container_type=list):
        super().__init__()
        self.z = MemberType()
        self.a = container_type([MemberType(), MemberType()])
        if create_child:
            self.c = SimpleModule(create_child=False)


NamedPair = collections.namedtuple("NamedPair", ("first", "second"))


class Plain(mtf.Module):
    pass


# ---- naming

def test_single_name():
    mod = mtf.Module(name="simple")
    assert mod.name == "simple"
    assert mod.name_scope.name == "simple/"


def test_construct_in_scope():
    with mtf.name_scope("foo"):
        mod = mtf.Module(name="bar")
    assert mod.name == "bar"
    assert mod.name_scope.name == "foo/bar/"


def test_construct_in_nested_scopes():
    with mtf.name_scope("encoder"), mtf.name_scope("block"):
        mod = mtf.Module(name="mlp")
    assert mod.name_scope.name == "encoder/block/mlp/"


@pytest.mark.parametrize("cls_name, expected", [
    ("MyModule", "my_module"), ("MLP", "mlp"), ("HTTPServer", "http_server"),
    ("Conv2D", "conv2_d"), ("already_snake", "already_snake"), ("A", "a"),
    ("ResNet50Block", "res_net50_block")])
def test_default_name_is_snake_case_class_name(cls_name, expected):
    cls = type(cls_name, (mtf.Module,), {})
    assert cls().name == expected
    assert cls().name_scope.name == expected + "/"


def test_enters_name_scope_in_call():
    mod = ReturnsNameScopeModule()
    for _ in range(3):
        assert mod() == mod.name_scope.name == "returns_name_scope_module/"


def test_enters_name_scope_in_other_method():
    mod = ReturnsNameScopeModule()
    for _ in range(3):
        assert mod.alternative_forward() == mod.name_scope.name


def test_subclassed_module():
    mod = SubclassedReturnsNameScopeModule()
    for _ in range(3):
        assert mod.alternative_forward() == mod.name_scope.name
        assert mod.alternative_alternative_forward() == mod.name_scope.name
    assert mod.name_scope.name == "subclassed_returns_name_scope_module/"


def test_name_scope_is_absolute_when_entered_elsewhere():
    with mtf.name_scope("outer"):
        mod = ReturnsNameScopeModule()
    with mtf.name_scope("somewhere_else"):
        assert mod() == "outer/returns_name_scope_module/"
        assert current_scope() == "somewhere_else/"


def test_submodule_created_late():
    m = TreeModule()
    assert m.name == "tree_module"
    assert m.name_scope.name == "tree_module/"
    leaf1 = m.new_leaf()
    assert leaf1.name == "tree_module"
    assert leaf1.name_scope.name == "tree_module/tree_module/"


def test_does_not_evaluate_property_methods():
    mod = PropertyThrowsWhenCalledModule()
    with pytest.raises(AssertionError):
        mod.raise_assertion_error  # noqa: B018
    assert mod.variables == ()
    assert mod.submodules == ()
    assert all(name != "raise_assertion_error" for (name,), _ in
               mod._flatten(with_path=True))


def test_overridden_name_scope():
    mod = ModuleOverridingNameScope()
    assert mod() == "yolo/"
    assert mod.alternative_forward() == "yolo/"


def test_patched_callable():
    with mtf.name_scope("foo"):
        mod = mtf.Module(name="bar")
    mod.foo = current_scope
    # `foo` is not a method, so calling it does not enter the module's scope.
    assert mod.foo() == ""


def test_property():
    mod = PropertyModule()
    mod.some_property = None
    getter_scope_name, setter_scope_name = mod.some_property
    assert getter_scope_name == "property_module/"
    assert setter_scope_name == "property_module/"


def test_property_no_name_scope():
    mod = PropertyModule()
    mod.no_name_scope_property = None
    getter_scope_name, setter_scope_name = mod.no_name_scope_property
    assert getter_scope_name == ""
    assert setter_scope_name == ""


@pytest.mark.parametrize("bad", ["$Foo", "1abc", "a-b", "a b", "", "encoder/mlp"])
def test_invalid_name(bad):
    with pytest.raises(ValueError, match="is not a valid module name"):
        mtf.Module(name=bad)


def test_non_string_name_raises_value_error():
    with pytest.raises(ValueError, match="3 is not a valid module name"):
        mtf.Module(name=3)


def test_modules_not_numbered_in_eager():
    for _ in range(2):
        mod = RecursiveModule(2)
        assert mod.name_scope.name == "badger/"
        assert mod.child.name_scope.name == "badger/badger/"


def test_ctor_error_closes_name_scope():
    with pytest.raises(ErrorModuleError):
        ErrorModule(call_super=True)
    assert current_scope() == ""


def test_ctor_error_handles_ctor_not_opening_name_scope():
    with pytest.raises(ErrorModuleError):
        ErrorModule(call_super=False)
    assert current_scope() == ""


def test_forward_method_closes_name_scope():
    mod = ErrorModule(call_super=True, raise_in_constructor=False)
    with pytest.raises(ErrorModuleError):
        mod()
    assert current_scope() == ""


def test_get_attr_doesnt_enter_name_scope():
    scope_names = []

    class GetAttrModule(mtf.Module):
        def __getattr__(self, name):
            scope_names.append((name, current_scope()))
            raise AttributeError(name)

    mod = GetAttrModule()
    with pytest.raises(AttributeError):
        mod.does_not_exist  # noqa: B018
    assert ("does_not_exist", "") in scope_names


def test_get_attribute_doesnt_enter_name_scope():
    scope_names = []

    class GetAttributeModule(mtf.Module):
        def __getattribute__(self, name):
            scope_names.append((name, current_scope()))
            return super().__getattribute__(name)

    mod = GetAttributeModule()
    with pytest.raises(AttributeError):
        mod.does_not_exist  # noqa: B018
    assert ("does_not_exist", "") in scope_names


def test_with_name_scope_keeps_name_doc_and_signature():
    class M(mtf.Module):
        @mtf.Module.with_name_scope
        def forward(self, x, *, scale=2.0):
            """Scale x."""
            return x * scale

    assert M.forward.__name__ == "forward"
    assert M.forward.__doc__ == "Scale x."
    assert str(inspect.signature(M.forward)) == "(self, x, *, scale=2.0)"
    assert M().forward(3.0, scale=4.0) == 12.0


# ---- variable naming and the memoized scope

def test_variable_names():
    mod = RecursiveModule(3)
    assert mod.w.name == "badger/mushroom:0"
    assert mod.child.w.name == "badger/badger/mushroom:0"
    assert mod.child.child.w.name == "badger/badger/badger/mushroom:0"


def test_variable_created_in_method_with_name_scope():
    class Lazy(mtf.Module):
        @mtf.Module.with_name_scope
        def __call__(self):
            self.v = mtf.Variable(0.0)
            return self.v

    with mtf.name_scope("model"):
        mod = Lazy()
    with mtf.name_scope("elsewhere"):
        assert mod().name == "model/lazy/Variable:0"


def test_name_scope_memoized():
    mod = mtf.Module(name="name")
    assert mod.name_scope is mod.name_scope


# ---- variable tracking

def test_variables():
    m = RecursiveModule(3)
    assert m.variables == (m.w, m.child.w, m.child.child.w)
    assert m.child.variables == (m.child.w, m.child.child.w)
    assert m.child.child.variables == (m.child.child.w,)


def test_trainable_variables():
    m = RecursiveModule(3)
    assert m.trainable_variables == (m.w, m.child.w, m.child.child.w)
    assert m.child.trainable_variables == (m.child.w, m.child.child.w)
    assert m.child.child.trainable_variables == (m.child.child.w,)


def test_trainable_variables_ignores_non_trainable():
    m = RecursiveModule(3, trainable=False)
    assert m.trainable_variables == ()
    assert m.child.trainable_variables == ()
    assert m.non_trainable_variables == (m.w, m.child.w, m.child.child.w)


def test_trainable_and_non_trainable_partition_variables_in_order():
    m = Plain()
    m.d = mtf.Variable(1.0)
    m.c = mtf.Variable(2.0, trainable=False)
    m.b = mtf.Variable(3.0)
    m.a = mtf.Variable(4.0, trainable=False)
    assert m.variables == (m.a, m.b, m.c, m.d)
    assert m.trainable_variables == (m.b, m.d)
    assert m.non_trainable_variables == (m.a, m.c)


def test_properties_are_tuples():
    m = RecursiveModule(2)
    for value in (m.variables, m.trainable_variables, m.non_trainable_variables,
                  m.submodules):
        assert type(value) is tuple


# ---- module tracking

def test_submodules():
    m = RecursiveModule(3)
    assert m.submodules == (m.child, m.child.child)
    assert m.child.submodules == (m.child.child,)
    assert m.child.child.submodules == ()


def test_non_ctor_submodule():
    m = TreeModule()
    leaf1 = m.new_leaf()
    assert m.submodules == (leaf1,)
    leaf2 = m.new_leaf()
    assert m.submodules == (leaf1, leaf2)


def test_submodule_order_own_leaves_first_then_each_subtree():
    a, b, c, d, e, f = (Plain(name=n) for n in "abcdef")
    a.b, a.c, b.d, c.e, d.f = b, c, d, e, f
    assert [m.name for m in a.submodules] == ["b", "c", "d", "f", "e"]


def test_variable_order_own_first_then_subtrees():
    a, b, c = Plain(name="a"), Plain(name="b"), Plain(name="c")
    a.z_var = mtf.Variable(0.0)
    a.b = b
    a.c = c
    b.v = mtf.Variable(1.0)
    c.v = mtf.Variable(2.0)
    a.a_var = mtf.Variable(3.0)
    assert a.variables == (a.a_var, a.z_var, b.v, c.v)


def test_shared_variable_once_first_occurrence_wins():
    shared = mtf.Variable(1.0)
    root, left, right = Plain(), Plain(), Plain()
    root.left, root.right = left, right
    right.w = shared
    left.w = shared
    left.x = mtf.Variable(2.0)
    assert root.variables == (shared, left.x)


def test_shared_submodule_once():
    root, shared = Plain(), Plain()
    shared.w = mtf.Variable(1.0)
    root.a = shared
    root.b = [shared, {"k": shared}]
    assert root.submodules == (shared,)
    assert root.variables == (shared.w,)


def test_cycles_are_safe():
    a, b = Plain(name="a"), Plain(name="b")
    a.b, b.a = b, a
    a.me = a
    a.w, b.w = mtf.Variable(1.0), mtf.Variable(2.0)
    assert a.submodules == (b,)
    assert a.variables == (a.w, b.w)
    assert b.submodules == (a,)
    assert b.variables == (b.w, a.w)


def test_identity_not_equality():
    # Variables compare elementwise, so equal values must not merge them.
    m = Plain()
    m.xs = [mtf.Variable([1.0, 2.0]), mtf.Variable([1.0, 2.0])]
    m.t = [mtf.constant([1.0, 2.0]), mtf.constant([1.0, 2.0])]
    assert len(m.variables) == 2 and m.variables[0] is m.xs[0]
    tensors = tuple(m._flatten(predicate=lambda v: isinstance(v, mtf.Tensor)))
    assert len(tensors) == 2 and tensors[0] is m.t[0] and tensors[1] is m.t[1]


def test_containers_traversed_in_order():
    m = Plain()
    v = [mtf.Variable(float(i), name=f"v{i}") for i in range(8)]
    m.a_list = [v[0], (v[1], [v[2]])]
    m.b_dict = {"zeta": v[4], "alpha": v[3]}
    m.c_named = NamedPair(second=v[6], first=v[5])
    m.d_nested = {"k": [{"z": v[7]}]}
    assert m.variables == tuple(v)


def test_namedtuple_field_order_not_alphabetical():
    Pair = collections.namedtuple("Pair", ("zebra", "apple"))
    m = Plain()
    m.p = Pair(zebra=mtf.Variable(1.0), apple=mtf.Variable(2.0))
    assert m.variables == (m.p.zebra, m.p.apple)
    paths = [p for p, _ in m._flatten(with_path=True, predicate=module_lib._is_variable)]
    assert paths == [("p", "zebra"), ("p", "apple")]    # field names, in field order (TF)


Params = collections.namedtuple("Params", ("weight", "bias"))


class Typed(typing.NamedTuple):
    scale: object
    shift: object


def test_namedtuple_paths_name_fields_at_any_depth():
    m = Plain()
    m.params = Params(weight=mtf.Variable(1.0), bias=mtf.Variable(2.0))
    m.stack = [Typed(scale=mtf.Variable(3.0), shift={"k": mtf.Variable(4.0)})]
    m.table = {"t": (Params(mtf.Variable(5.0), mtf.Variable(6.0)),)}
    found = list(m._flatten(with_path=True, predicate=module_lib._is_variable))
    assert [p for p, _ in found] == [
        ("params", "weight"), ("params", "bias"),
        ("stack", 0, "scale"), ("stack", 0, "shift", "k"),
        ("table", "t", 0, "weight"), ("table", "t", 0, "bias")]
    assert [v for _, v in found] == list(m.variables)
    plain = Plain()
    plain.pair = (mtf.Variable(1.0), mtf.Variable(2.0))    # a plain tuple keeps indices
    assert [p for p, _ in plain._flatten(with_path=True)
            if p[0] == "pair"] == [("pair", 0), ("pair", 1)]


def test_repr_spells_namedtuple_fields_as_attributes():
    m = Plain(name="m")
    m.params = Params(weight=mtf.Variable(np.zeros((2, 3))), bias=mtf.Variable(np.zeros(3)))
    m.heads = {"out": Params(weight=Plain(name="w"), bias=None)}
    assert repr(m).splitlines() == [
        "Plain(name='m', params.weight=(2, 3), params.bias=(3,)",
        "  (heads['out'].weight): Plain(name='w')",
        ")"]


def test_tracking_is_dynamic():
    m = Plain()
    m.w = None
    assert m.variables == ()
    m.w = mtf.Variable(1.0)                      # plain value replaced by a Variable
    assert m.variables == (m.w,)
    m.layers = []
    m.layers.append(Plain())                     # container mutated in place
    m.layers[0].v = mtf.Variable(2.0)
    assert m.variables == (m.w, m.layers[0].v)     # own leaves before subtrees
    m.layers[0] = mtf.Variable(3.0)              # replaced inside the container
    assert m.submodules == ()
    assert m.variables == (m.layers[0], m.w)
    del m.w
    assert m.variables == (m.layers[0],)
    m.w = 5                                      # Variable replaced by a plain value
    m.layers = ()
    assert m.variables == ()


def test_attribute_added_through_dict_is_seen():
    m = Plain()
    assert m.variables == ()
    vars(m)["w"] = mtf.Variable(1.0)
    assert m.variables == (m.w,)


def test_dependency_injection_autoencoder():
    # The RFC's example: a module built elsewhere and passed in is tracked.
    encoder = Plain(name="encoder")
    encoder.w = mtf.Variable(np.ones((2, 2), np.float32))

    class AutoEncoder(mtf.Module):
        def __init__(self, encoder, decoder):
            super().__init__()
            self.encoder, self.decoder = encoder, decoder

    auto = AutoEncoder(encoder, decoder=encoder)
    assert auto.variables == (encoder.w,)
    assert auto.submodules == (encoder,)
    paths = dict(auto._flatten(with_path=True, predicate=module_lib._is_variable))
    assert paths == {("decoder", "w"): encoder.w, ("encoder", "w"): encoder.w}


# ---- abc

def test_abstract():
    with pytest.raises(TypeError, match="Can't instantiate abstract class"):
        AbstractModule()


def test_concrete():
    mod = ConcreteModule()
    x, scope_name = mod(2.0)
    assert x == 4.0
    assert scope_name == "concrete_module/"
    assert current_scope() == ""


def test_abc_metaclass_is_plain_abcmeta():
    assert type(mtf.Module) is type
    assert type(AbstractModule) is abc.ABCMeta


# ---- _flatten

@pytest.mark.parametrize("container_type", [
    lambda v: NamedPair(*v), list, tuple, lambda v: dict(enumerate(v))],
    ids=["namedtuple", "list", "tuple", "dict"])
def test_flatten(container_type):
    parent = SimpleModule(container_type=container_type)
    child = parent.c
    assert list(parent._flatten(recursive=False, predicate=is_member)) == \
        [parent.a[0], parent.a[1], parent.z]
    assert list(parent._flatten(predicate=is_member)) == \
        [parent.a[0], parent.a[1], parent.z, child.a[0], child.a[1], child.z]


def test_flatten_without_predicate_yields_every_leaf():
    m = Plain(name="m")
    m.x = 1.5
    m.child = Plain(name="c")
    leaves = list(m._flatten(recursive=False))
    assert leaves == ["m", m.name_scope, m.child, 1.5]


def test_flatten_is_a_generator():
    m = RecursiveModule(2)
    flat = m._flatten(predicate=module_lib._is_variable)
    assert inspect.isgenerator(flat)
    assert next(flat) is m.w


def test_attribute_traversal_key():
    class LayerModule(mtf.Module):
        def __init__(self):
            super().__init__()
            self._trainable_variables = [mtf.Variable(1.0, name="a"),
                                         mtf.Variable(2.0, name="b")]
            self._non_trainable_variables = [mtf.Variable(3.0, name="c"),
                                             mtf.Variable(4.0, name="d")]
            self._bonus = mtf.Variable(5.0, name="e")

        @property
        def variables(self):
            def key_function(name):
                indexes = {"_trainable_variables": 0, "_non_trainable_variables": 1}
                return indexes.get(name, 2), name
            return list(self._flatten(predicate=module_lib._is_variable,
                                      attribute_traversal_key=key_function))

    mod = LayerModule()
    assert mod.variables == \
        mod._trainable_variables + mod._non_trainable_variables + [mod._bonus]


def test_attributes_to_ignore():
    class DangerousModule(mtf.Module):
        _MODULE_IGNORED_PROPERTIES = frozenset(
            ("dangerous_submodule", "dangerous_variable")
        ) | mtf.Module._MODULE_IGNORED_PROPERTIES

    mod = DangerousModule()
    mod.dangerous_submodule = mtf.Module()
    mod.dangerous_variable = mtf.Variable(1.0)
    mod.normal_variable = mtf.Variable(2.0)
    assert mod.submodules == ()
    assert mod.variables == (mod.normal_variable,)
    assert [p for p, _ in mod._flatten(with_path=True, predicate=is_variable_any)] == \
        [("normal_variable",)]


def is_variable_any(value):
    """A predicate without the walker's type hint (sees every leaf)."""
    return isinstance(value, mtf.Variable)


def test_ignored_properties_is_frozenset():
    assert mtf.Module._MODULE_IGNORED_PROPERTIES == frozenset()
    assert isinstance(mtf.Module._MODULE_IGNORED_PROPERTIES, frozenset)


def test_with_path():
    mod = mtf.Module()
    mod.w = mtf.Variable(1.0)
    mod.encoder = mtf.Module()
    mod.encoder.w = [({"k": mod.w}, {"k": mod.w})]
    mod.decoder = mod.encoder
    state_dict = dict(mod._flatten(with_path=True, predicate=module_lib._is_variable))
    assert state_dict == {("w",): mod.w,
                          ("encoder", "w", 0, 0, "k"): mod.w,
                          ("encoder", "w", 0, 1, "k"): mod.w,
                          ("decoder", "w", 0, 0, "k"): mod.w,
                          ("decoder", "w", 0, 1, "k"): mod.w}
    assert mod.variables == (mod.w,)


def test_with_path_handles_cycles():
    mod = mtf.Module()
    mod.w = mtf.Variable(1.0)
    mod.encoder = mtf.Module()
    mod.encoder.w = [({"k": mod.w}, {"k": mod.w})]
    mod.decoder = mod.encoder
    mod.decoder.mod = mod  # two cycles: encoder.mod and decoder.mod
    for predicate in (module_lib._is_variable, is_variable_any):
        state_dict = dict(mod._flatten(with_path=True, predicate=predicate))
        assert state_dict == {("w",): mod.w,
                              ("encoder", "mod", "w"): mod.w,
                              ("decoder", "mod", "w"): mod.w,
                              ("encoder", "w", 0, 0, "k"): mod.w,
                              ("encoder", "w", 0, 1, "k"): mod.w,
                              ("decoder", "w", 0, 0, "k"): mod.w,
                              ("decoder", "w", 0, 1, "k"): mod.w}


def test_with_path_order_and_deep_paths():
    model = Plain(name="model")
    model.encoder = Plain(name="encoder")
    model.encoder.layers = [Plain(name="l0"), Plain(name="l1")]
    for layer in model.encoder.layers:
        layer.w = mtf.Variable(0.0)
        layer.b = mtf.Variable(0.0)
    paths = [p for p, _ in model._flatten(with_path=True,
                                          predicate=module_lib._is_variable)]
    assert paths == [("encoder", "layers", 0, "b"), ("encoder", "layers", 0, "w"),
                     ("encoder", "layers", 1, "b"), ("encoder", "layers", 1, "w")]


def test_with_path_submodules():
    m = RecursiveModule(3)
    paths = [p for p, _ in m._flatten(with_path=True, predicate=module_lib._is_module)]
    assert paths == [("child",), ("child", "child")]


def test_recursive_false_with_path():
    m = RecursiveModule(3)
    assert list(m._flatten(recursive=False, with_path=True,
                           predicate=module_lib._is_variable)) == [(("w",), m.w)]


def test_raises_error_with_path():
    m = mtf.Module()
    m.layers = {object(): None, object(): None}
    with pytest.raises(ValueError, match="Error processing property 'layers'"):
        m.variables  # noqa: B018


# ---- repr, copies

def test_repr_tree_with_shapes():
    root = Plain(name="net")
    root.w = mtf.Variable(np.zeros((3, 4), np.float32))
    root.blocks = [Plain(name="block")]
    root.blocks[0].b = mtf.Variable(np.zeros(4, np.float32))
    root.blocks[0].inner = Plain(name="leaf")
    root.head = {"out": Plain(name="out")}
    assert repr(root) == (
        "Plain(name='net', w=(3, 4)\n"
        "  (blocks[0]): Plain(name='block', b=(4,)\n"
        "    (inner): Plain(name='leaf')\n"
        "  )\n"
        "  (head['out']): Plain(name='out')\n"
        ")")


def test_repr_marks_cycles():
    a, b = Plain(name="a"), Plain(name="b")
    a.b, b.a = b, a
    assert repr(a) == "Plain(name='a'\n  (b): Plain(name='b'\n    (a): <cycle: Plain 'a'>\n  )\n)"


def test_deepcopy_gives_independent_tracking():
    m = RecursiveModule(2)
    clone = copy.deepcopy(m)
    assert len(clone.variables) == 2
    assert all(c is not o for c, o in zip(clone.variables, m.variables))
    clone.extra = mtf.Variable(9.0)
    assert len(clone.variables) == 3 and len(m.variables) == 2


def test_docstring_examples_run():
    import doctest
    result = doctest.testmod(module_lib, extraglobs={"mtf": mtf}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8
    assert result.failed == 0


def test_one_module_used_by_two_threads_keeps_each_threads_scope():
    # Thread a leaves the module's scope while thread b is inside it.
    import threading
    mod = ReturnsNameScopeModule()
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with mod.name_scope:
            a_inside.set()
            b_inside.wait()
        seen["a"] = current_scope()
        a_left.set()

    def b():
        a_inside.wait()
        with mtf.name_scope("other"):
            with mod.name_scope:
                b_inside.set()
                a_left.wait()
                seen["b_in"] = current_scope()
            seen["b"] = current_scope()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": "", "b_in": "returns_name_scope_module/", "b": "other/"}
