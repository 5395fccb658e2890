"""Classes and generator functions of the main script on the interpreters backend (issue 14).

ship_main_script.py is run as ``__main__`` here, as a user's script is by the launcher: a worker
can import neither it nor the classes and functions defined in it, so they travel by value.
"""
import dataclasses
import importlib.util
import os
import sys
import unittest

import makeparallel as mp

main = None
_saved_main = None


def setUpModule():
    global main, _saved_main
    mp.configure(interpreters=2, warmup=True)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ship_main_script.py")
    spec = importlib.util.spec_from_file_location("__main__", path)
    main = importlib.util.module_from_spec(spec)
    _saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = main
    spec.loader.exec_module(main)


def tearDownModule():
    if _saved_main is not None:
        sys.modules["__main__"] = _saved_main


def remote(fn, *args):
    return mp.parallel(backend="interpreters")(fn)(*args).get(timeout=120)


class MainClasses(unittest.TestCase):
    def test_dataclass_argument_and_result_keep_the_callers_class(self):
        moved, field_name, as_dict = remote(main.move_all, main.Point(1, 2, ["a"]))
        self.assertIs(type(moved), main.Point)
        self.assertEqual(moved, main.Point(2, 3))
        self.assertEqual(field_name, "y", "dataclasses.fields() works on the rebuilt class")
        self.assertEqual(as_dict, {"x": 1, "y": 2, "tags": ["a"]})

    def test_parallel_map_over_dataclasses_is_ordered_and_equal_to_serial(self):
        points = [main.Point(i, -i) for i in range(40)]
        serial = [p.moved(1) for p in points]
        for ordered in (True, False):
            got = mp.parallel_map(lambda p: p.moved(1), points, chunksize=3, ordered=ordered,
                                  backend="interpreters")
            if not ordered:
                got = sorted(got, key=lambda p: p.x)
            self.assertEqual(got, serial)
            self.assertTrue(all(isinstance(p, main.Point) for p in got))

    def test_class_is_rebuilt_once_per_worker(self):
        ids = mp.parallel_map(main.class_identity, [main.Point(i) for i in range(12)], chunksize=1,
                              backend="interpreters")
        self.assertTrue(all(arg_cls == global_cls for arg_cls, global_cls in ids), ids)
        self.assertLessEqual(len(set(ids)), 2, "one rebuilt Point per worker")

    def test_main_exception_is_caught_by_its_original_type(self):
        handle = mp.parallel(backend="interpreters")(main.raise_main_error)(7)
        try:
            handle.get(timeout=120)
        except main.MainError as exc:
            self.assertEqual(str(exc), "bad 7")
            self.assertIn("raise_main_error", str(exc.__cause__))
        else:
            self.fail("MainError was not raised")

    def test_str_and_int_subclasses_round_trip(self):
        tag, count = remote(main.tag_and_count, main.Tag("hi"), main.Count(21))
        self.assertIs(type(tag), main.Tag)
        self.assertEqual(tag, "HI!")
        self.assertIs(type(count), main.Count)
        self.assertEqual(count, 42)

    def test_classmethod_staticmethod_property_and_class_attribute(self):
        unit, text, area, name = remote(main.use_shape, main.Shape(3))
        self.assertEqual(unit, main.Shape(1))
        self.assertEqual((text, area, name), ("4 sides", 9, "Shape"))

    def test_frozen_and_slotted_dataclasses(self):
        frozen, slotted = remote(main.frozen_round_trip, main.Frozen(1), main.Slotted(2, (3,)))
        self.assertEqual(frozen, main.Frozen(2))
        self.assertEqual(slotted, main.Slotted(3, (3,)))
        with self.assertRaises(dataclasses.FrozenInstanceError):
            slotted.a = 0

    def test_local_class(self):
        self.assertEqual(remote(main.local_class_task), (5, "make_local_class.<locals>.Local"))
        local = main.make_local_class()
        back = remote(lambda obj: obj, local(8))
        self.assertIs(type(back), local, "a local class comes back as the caller's own")
        self.assertEqual(back.get(), 8)

    def test_unshippable_class_fails_at_submission_naming_it(self):
        call = mp.parallel(backend="interpreters")(lambda obj: obj)
        with self.assertRaises(TypeError) as cm:
            call(main.HoldsLock())
        self.assertIn("argument 0, through class attribute HoldsLock.lock,", str(cm.exception))
        self.assertIn("backend='threads'", str(cm.exception), "says how to fix it")
        with self.assertRaises(TypeError) as cm:
            call(main.Coded.A)
        self.assertIn("argument 0 <Coded.A: 1> (Coded) cannot be pickled: enum class Coded", str(cm.exception))
        self.assertIn("__new__", str(cm.exception))
        self.assertIn("define it in a module", str(cm.exception), "says how to fix it")

    def test_enum_members_come_back_as_the_callers_members(self):
        color, warm, default, large, small = remote(main.use_enums, main.Color.SCARLET, main.Size.S)
        self.assertIs(color, main.Color.RED)
        self.assertTrue(warm)
        self.assertIs(default, main.Color.GREEN)
        self.assertIs(large, main.Size.L)
        self.assertIs(small, main.Size.S)


class MainGenerators(unittest.TestCase):
    def test_task_uses_a_main_generator(self):
        self.assertEqual(remote(main.uses_generator, 4), [0, 1, 5, 14, 14])

    def test_generator_results_over_parallel_map(self):
        got = mp.parallel_map(main.squares_list, range(6), chunksize=2, backend="interpreters")
        self.assertEqual(got, [list(main.squares(n, start=1)) for n in range(6)])

    def test_generator_function_as_the_task_fails_at_submission(self):
        with self.assertRaises(TypeError) as cm:
            mp.parallel(backend="interpreters")(main.squares)(3)
        self.assertIn("squares", str(cm.exception))
        self.assertIn("generator", str(cm.exception))

    def test_coroutine_method_generator_and_closure_generator(self):
        self.assertEqual(remote(main.run_coroutine, 4), 40)
        self.assertEqual(remote(main.walk, [1, 2, 3]), [(1, 2), (1, 3), (2, 3)])
        stepper = main.make_stepper(5)
        self.assertEqual(remote(lambda n: list(stepper(n)), 3), [0, 5, 10])

    def test_generator_without_source_fails_at_submission_saying_how_to_fix(self):
        with self.assertRaises(TypeError) as cm:
            mp.parallel(backend="interpreters")(main.use_gen_without_source)(1)
        message = str(cm.exception)
        self.assertIn("gen_without_source", message)
        self.assertIn(".py file", message)


if __name__ == "__main__":
    unittest.main()
