using System.Reflection;
using Multiprocessing.Tests.TestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// The shared types of a <see cref="Manager"/> used from this process: dict, list, Namespace, Value, Array, copy
/// semantics, nested proxies and values that cannot be sent. Spec ids refer to /work/shared/spec/python-semantics.md
/// (§1.18 M-20..M-30, §1.19 M-40..M-51, §2.4, pain points 13 and 24). One manager process serves the whole class.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ManagerContainerTests(ManagerFixture fixture) : IClassFixture<ManagerFixture>
{
    private readonly Manager _manager = fixture.Manager;

    // ----- dict (M-41, M-23) -----

    [Fact]
    public void DictIndexer_stores_and_reads_values_when_keys_are_set_and_overwritten()
    {
        // M-41: d[k] = v, d[k]
        var dict = _manager.Dict<string, int>();

        dict["a"] = 1;
        dict["b"] = 2;
        dict["a"] = 10;

        Assert.Equal(10, dict["a"]);
        Assert.Equal(2, dict["b"]);
        Assert.Equal(2, dict.Count);
    }

    [Fact]
    public void Dict_starts_with_the_given_items_when_created_with_items()
    {
        // M-41: dict(...) with initial entries
        var dict = _manager.Dict<int, string>([new(3, "three"), new(1, "one")]);

        Assert.Equal(2, dict.Count);
        Assert.Equal("three", dict[3]);
        Assert.Equal([3, 1], dict.Keys());
    }

    [Fact]
    public void DictIndexer_throws_KeyNotFoundException_with_the_server_stack_when_the_key_is_missing()
    {
        // M-23 (same exception type as the referent raised), pain point 13 (keep the server's stack)
        var dict = _manager.Dict<string, int>();
        dict["present"] = 1;

        var ex = Assert.IsType<KeyNotFoundException>(ManagerTestSupport.Capture(() => dict["missing"]));

        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
        var remote = Assert.IsType<string>(ex.Data["RemoteStackTrace"]);
        Assert.Contains("KeyNotFoundException", remote, StringComparison.Ordinal);
        Assert.Contains("DictState", remote, StringComparison.Ordinal);
        Assert.Equal(1, dict["present"]);
    }

    [Fact]
    public async Task GetAsync_throws_KeyNotFoundException_when_the_key_is_missing()
    {
        // M-23 through the awaitable twin
        var dict = _manager.Dict<string, int>();
        await dict.SetAsync("a", 5).WaitAsync(ManagerTestSupport.TestTimeout);

        Assert.Equal(5, await dict.GetAsync("a").WaitAsync(ManagerTestSupport.TestTimeout));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => dict.GetAsync("b").WaitAsync(ManagerTestSupport.TestTimeout));
    }

    [Fact]
    public void Get_returns_the_default_without_storing_it_when_the_key_is_missing()
    {
        // M-41: get(k, default)
        var dict = _manager.Dict<string, int>();
        dict["a"] = 1;

        Assert.Equal(1, dict.Get("a", -1));
        Assert.Equal(-1, dict.Get("b", -1));
        Assert.False(dict.ContainsKey("b"));
        Assert.Equal(1, dict.Count);
    }

    [Fact]
    public void ContainsKey_reports_presence_when_keys_are_added_and_removed()
    {
        // M-41: `in`
        var dict = _manager.Dict<string, int>();
        Assert.False(dict.ContainsKey("a"));

        dict["a"] = 0;
        Assert.True(dict.ContainsKey("a"));

        dict.Remove("a");
        Assert.False(dict.ContainsKey("a"));
    }

    [Fact]
    public void Remove_deletes_the_entry_and_throws_KeyNotFoundException_when_the_key_is_missing()
    {
        // M-41: del d[k]; M-23: KeyError
        var dict = _manager.Dict<string, int>();
        dict["a"] = 1;
        dict["b"] = 2;

        dict.Remove("a");

        Assert.Equal(["b"], dict.Keys());
        var ex = Assert.IsType<KeyNotFoundException>(ManagerTestSupport.Capture(() => dict.Remove("a")));
        Assert.NotNull(ex.Data["RemoteStackTrace"]);
    }

    [Fact]
    public void Pop_removes_and_returns_the_value_and_throws_KeyNotFoundException_when_the_key_is_missing()
    {
        // M-41: pop(k), pop(k, default)
        var dict = _manager.Dict<string, int>();
        dict["a"] = 1;
        dict["b"] = 2;

        Assert.Equal(1, dict.Pop("a"));
        Assert.False(dict.ContainsKey("a"));
        Assert.IsType<KeyNotFoundException>(ManagerTestSupport.Capture(() => dict.Pop("a")));
        Assert.Equal(-1, dict.Pop("a", -1));
        Assert.Equal(2, dict.Pop("b", -1));
        Assert.Equal(0, dict.Count);
    }

    [Fact]
    public void SetDefault_stores_the_default_only_when_the_key_is_missing()
    {
        // M-41: setdefault
        var dict = _manager.Dict<string, int>();
        dict["a"] = 1;

        Assert.Equal(1, dict.SetDefault("a", 100));
        Assert.Equal(7, dict.SetDefault("b", 7));

        Assert.Equal(1, dict["a"]);
        Assert.Equal(7, dict["b"]);
    }

    [Fact]
    public void Update_stores_every_pair_and_keeps_the_position_of_existing_keys_when_given_many_pairs()
    {
        // M-41: update (Python keeps an overwritten key's insertion position)
        var dict = _manager.Dict<string, int>();
        dict["a"] = 1;
        dict["b"] = 2;

        dict.Update([new("c", 3), new("a", 10), new("d", 4)]);

        Assert.Equal(["a", "b", "c", "d"], dict.Keys());
        Assert.Equal([10, 2, 3, 4], dict.Values());
    }

    [Fact]
    public void KeysValuesItems_return_copies_in_insertion_order_when_keys_are_not_sorted()
    {
        // M-41: keys()/values()/items() are lists in insertion order; a re-inserted key moves to the end
        var dict = _manager.Dict<string, int>();
        dict["b"] = 2;
        dict["a"] = 1;
        dict["c"] = 3;
        dict.Remove("b");
        dict["b"] = 20;

        Assert.Equal(["a", "c", "b"], dict.Keys());
        Assert.Equal([1, 3, 20], dict.Values());
        Assert.Equal([new("a", 1), new("c", 3), new KeyValuePair<string, int>("b", 20)], dict.Items());
        Assert.Equal("{a: 1, c: 3, b: 20}", dict.ToString());
    }

    [Fact]
    public void Clear_removes_every_entry_when_the_dict_is_not_empty()
    {
        // M-41: clear, len
        var dict = _manager.Dict<int, int>();
        dict.Update(Enumerable.Range(0, 5).Select(i => new KeyValuePair<int, int>(i, i * i)));
        Assert.Equal(5, dict.Count);

        dict.Clear();

        Assert.Equal(0, dict.Count);
        Assert.Empty(dict.Keys());
        Assert.False(dict.ContainsKey(2));
    }

    [Fact]
    public void Increment_adds_atomically_and_starts_from_zero_when_the_key_is_missing()
    {
        // Pain point 24 / M-24 target: server-side increment
        var dict = _manager.Dict<string, long>();

        Assert.Equal(5L, dict.Increment("n", 5));
        Assert.Equal(3L, dict.Increment("n", -2));
        Assert.Equal(3L, dict["n"]);
    }

    // ----- list (M-40) -----

    [Fact]
    public void AppendAndExtend_add_items_at_the_end_when_called_in_sequence()
    {
        // M-40: append, extend, len, indexing
        var list = _manager.List<int>([1]);

        list.Append(2);
        list.Extend([3, 4, 5]);

        Assert.Equal(5, list.Count);
        Assert.Equal([1, 2, 3, 4, 5], list.Copy());
        Assert.Equal(3, list[2]);
        Assert.Equal("[1, 2, 3, 4, 5]", list.ToString());
    }

    [Fact]
    public void Indexer_counts_from_the_end_when_the_index_is_negative()
    {
        // M-40: l[-1], l[-n], l[-1] = x
        var list = _manager.List<string>(["a", "b", "c"]);

        Assert.Equal("c", list[-1]);
        Assert.Equal("a", list[-3]);

        list[-1] = "z";
        list[0] = "y";

        Assert.Equal(["y", "b", "z"], list.Copy());
    }

    [Theory]
    [InlineData(3)]
    [InlineData(100)]
    [InlineData(-4)]
    public void Indexer_throws_ArgumentOutOfRangeException_when_the_index_is_out_of_range(int index)
    {
        // M-40 / M-23: IndexError
        var list = _manager.List<int>([1, 2, 3]);

        var get = ManagerTestSupport.Capture(() => list[index]);
        var set = ManagerTestSupport.Capture(() => list[index] = 9);

        Assert.IsType<ArgumentOutOfRangeException>(get);
        Assert.IsType<ArgumentOutOfRangeException>(set);
        Assert.NotNull(get!.Data["RemoteStackTrace"]);
        Assert.Equal([1, 2, 3], list.Copy());
    }

    [Fact]
    public void Insert_places_the_item_before_the_index_and_appends_when_the_index_is_past_the_end()
    {
        // M-40: insert (Python: negative counts from the end, past the end appends, before the start prepends)
        var list = _manager.List<int>([1, 2, 3]);

        list.Insert(0, 0);
        list.Insert(2, 15);
        list.Insert(-1, 25);
        list.Insert(100, 99);
        list.Insert(-100, -1);

        Assert.Equal([-1, 0, 1, 15, 2, 25, 3, 99], list.Copy());
    }

    [Fact]
    public void Pop_removes_the_last_or_given_item_and_throws_ArgumentOutOfRangeException_when_empty_or_out_of_range()
    {
        // M-40: pop(), pop(i), pop from an empty list / bad index → IndexError
        var list = _manager.List<int>([10, 20, 30, 40]);

        Assert.Equal(40, list.Pop());
        Assert.Equal(10, list.Pop(0));
        Assert.Equal(20, list.Pop(-2));
        Assert.IsType<ArgumentOutOfRangeException>(ManagerTestSupport.Capture(() => list.Pop(5)));
        Assert.Equal([30], list.Copy());

        Assert.Equal(30, list.Pop());
        Assert.IsType<ArgumentOutOfRangeException>(ManagerTestSupport.Capture(() => list.Pop()));
    }

    [Fact]
    public void Remove_deletes_the_first_equal_item_and_throws_ArgumentException_when_absent()
    {
        // M-40: remove; ValueError when absent
        var list = _manager.List<int>([1, 2, 1, 3]);

        list.Remove(1);

        Assert.Equal([2, 1, 3], list.Copy());
        var ex = ManagerTestSupport.Capture(() => list.Remove(7));
        Assert.IsType<ArgumentException>(ex);
        Assert.Equal([2, 1, 3], list.Copy());
    }

    [Fact]
    public void IndexOfAndContains_find_the_first_equal_item_and_IndexOf_throws_ArgumentException_when_absent()
    {
        // M-40: index, in
        var list = _manager.List<string>(["x", "y", "x"]);

        Assert.Equal(0, list.IndexOf("x"));
        Assert.Equal(1, list.IndexOf("y"));
        Assert.True(list.Contains("y"));
        Assert.False(list.Contains("q"));
        Assert.IsType<ArgumentException>(ManagerTestSupport.Capture(() => list.IndexOf("q")));
    }

    [Fact]
    public void Slice_returns_a_copy_of_the_range_when_bounds_are_negative_missing_or_out_of_range()
    {
        // M-40: l[a:b] with Python's clamping
        var list = _manager.List<int>([0, 1, 2, 3, 4]);

        Assert.Equal([1, 2], list.Slice(1, 3));
        Assert.Equal([3, 4], list.Slice(-2));
        Assert.Equal([0, 1, 2, 3], list.Slice(stop: -1));
        Assert.Equal([0, 1, 2, 3, 4], list.Slice());
        Assert.Empty(list.Slice(4, 1));
        Assert.Equal([2, 3, 4], list.Slice(2, 100));
        Assert.Equal([0, 1], list.Slice(-100, 2));
    }

    [Fact]
    public void Clear_empties_the_list_when_it_has_items()
    {
        // M-40
        var list = _manager.List<int>([1, 2, 3]);

        list.Clear();

        Assert.Equal(0, list.Count);
        Assert.Empty(list.Copy());
    }

    // ----- Namespace (M-42) -----

    [Fact]
    public void NamespaceGetSet_share_attributes_when_set_through_one_proxy()
    {
        // M-42
        var ns = _manager.Namespace();

        ns.Set("name", "Bob");
        ns.Set("count", 3);
        ns.Set("ratio", 0.5);

        Assert.Equal("Bob", ns.Get<string>("name"));
        Assert.Equal(3, ns.Get<int>("count"));
        Assert.Equal(0.5, ns.Get<double>("ratio"));
        Assert.Equal(5, ns.Increment("count", 2));
    }

    [Fact]
    public void NamespaceHasDeleteNames_track_attributes_when_they_are_added_and_removed()
    {
        // M-42: attribute del; names sorted
        var ns = _manager.Namespace();
        ns.Set("zeta", 1);
        ns.Set("alpha", 2);
        ns.Set("mid", 3);

        Assert.True(ns.Has("alpha"));
        Assert.Equal(["alpha", "mid", "zeta"], ns.Names());

        ns.Delete("mid");

        Assert.False(ns.Has("mid"));
        Assert.Equal(["alpha", "zeta"], ns.Names());
    }

    [Fact]
    public void NamespaceGetAndDelete_throw_MissingMemberException_when_the_attribute_is_missing()
    {
        // M-42 / M-23: AttributeError
        var ns = _manager.Namespace();

        var get = ManagerTestSupport.Capture(() => ns.Get<int>("nope"));
        var delete = ManagerTestSupport.Capture(() => ns.Delete("nope"));

        Assert.IsType<MissingMemberException>(get);
        Assert.IsType<MissingMemberException>(delete);
        Assert.Contains("nope", get!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NamespaceDynamic_reads_and_writes_attributes_when_used_as_dynamic()
    {
        // M-42: ns.x = 1; ns.x
        dynamic ns = _manager.Namespace();

        ns.Count = 5;
        ns.Name = "Bob";
        int count = ns.Count;
        string name = ns.Name;

        Assert.Equal(5, count);
        Assert.Equal("Bob", name);
        NamespaceProxy typed = ns;
        Assert.Equal(5, typed.Get<int>("Count"));
        Assert.Equal(["Count", "Name"], typed.GetDynamicMemberNames());
        Assert.IsType<MissingMemberException>(ManagerTestSupport.Capture(() => (object?)ns.Missing));
    }

    [Fact(Skip = "Known limitation: a proxy stored as object travels as its actor path and comes back as a string; store it as its proxy type (M-27 works typed).")]
    public void NamespaceDynamic_returns_the_type_that_was_written_when_an_int_attribute_is_read_back()
    {
        // M-42: ns.count = 5 reads back as the same int. The dynamic setter encodes the runtime type, but the getter
        // decodes as object, so MessagePack hands back its smallest integer type (a byte for 5).
        dynamic ns = _manager.Namespace();
        ns.Count = 5;

        object count = ns.Count;

        Assert.IsType<int>(count);
        Assert.True(count.Equals(5));
    }

    [Fact(Skip = "Known limitation: a proxy stored through dynamic Namespace access comes back as its actor path; use Set<ListProxy<T>> and Get<ListProxy<T>>.")]
    public void NamespaceDynamic_returns_a_proxy_to_the_shared_list_when_a_ListProxy_attribute_is_read_back()
    {
        // M-27 with M-42: ns.items = manager.list(); ns.items.append(1) changes the shared list in Python.
        var list = _manager.List<int>();
        dynamic ns = _manager.Namespace();
        ns.Items = list;

        object items = ns.Items;

        Assert.IsType<ListProxy<int>>(items);
        ((ListProxy<int>)items).Append(1);
        Assert.Equal([1], list.Copy());
    }

    [Fact]
    public void NamespaceToString_lists_attributes_sorted_by_name_when_set_in_another_order()
    {
        // M-42: str(ns) shows the shared attributes sorted
        var ns = _manager.Namespace();
        ns.Set("b", 2);
        ns.Set("a", 1);

        Assert.Equal("Namespace(a=1, b=2)", ns.ToString());
    }

    [Fact]
    public void NamespaceToString_quotes_string_attributes_as_documented_when_an_attribute_is_text()
    {
        // M-42: str(ns) is Namespace(name='Bob'); NamespaceProxy.ToString documents "Namespace(a=1, b='x')".
        var ns = _manager.Namespace();
        ns.Set("b", "x");
        ns.Set("a", 1);

        Assert.Equal("Namespace(a=1, b='x')", ns.ToString());
    }

    // ----- Value (M-50) -----

    [Fact]
    public void ValueProperty_reads_and_writes_the_shared_value_when_set()
    {
        // M-50: .value get/set
        var value = _manager.Value(5);
        Assert.Equal(5, value.Value);

        value.Value = 7;

        Assert.Equal(7, value.Value);
        Assert.Equal("Value(7)", value.ToString());
    }

    [Fact]
    public void ValueProperty_holds_text_and_records_when_the_type_is_not_numeric()
    {
        // M-50 (any serializable type)
        var text = _manager.Value("hello");
        var point = _manager.Value(new ManagerPoint(1, 2));

        text.Value = "world";
        point.Value = point.Value with { Y = 5 };

        Assert.Equal("world", text.Value);
        Assert.Equal(new ManagerPoint(1, 5), point.Value);
    }

    [Fact]
    public void Increment_adds_atomically_and_returns_the_new_value_when_the_value_is_a_number()
    {
        // Pain point 24: server-side increment
        var ints = _manager.Value(10);
        var doubles = _manager.Value(1.5);

        Assert.Equal(13, ints.Increment(3));
        Assert.Equal(11, ints.Increment(-2));
        Assert.Equal(11, ints.Value);
        Assert.Equal(2.0, doubles.Increment(0.5));
        Assert.Equal(2.0, doubles.Value);
    }

    [Fact]
    public void Increment_throws_and_keeps_the_value_usable_when_the_value_is_not_a_number()
    {
        // M-23: a failing call raises in the caller; the object survives it
        var text = _manager.Value("abc");

        Assert.NotNull(ManagerTestSupport.Capture(() => text.Increment("x")));

        Assert.Equal("abc", text.Value);
        text.Value = "def";
        Assert.Equal("def", text.Value);
    }

    [Fact]
    public void Increment_throws_OverflowException_and_keeps_the_value_when_the_sum_exceeds_the_value_type()
    {
        // The server adds as long: past int.MaxValue it must refuse rather than store a number an int cannot hold.
        var value = _manager.Value(int.MaxValue);

        var error = ManagerTestSupport.Capture(() => value.Increment(1));

        Assert.Equal(int.MaxValue, ManagerTestSupport.Bounded(() => value.Value));
        Assert.IsType<OverflowException>(error);
    }

    [Fact]
    public async Task IncrementAsync_loses_no_update_when_many_calls_are_in_flight_at_once()
    {
        // M-24 target: awaitable increments pipelined from one process are each applied once
        var value = _manager.Value(0L);
        var dict = _manager.Dict<string, long>();

        var calls = Enumerable.Range(0, 400).Select(i => i % 2 == 0 ? value.IncrementAsync(1) : dict.IncrementAsync("n", 1)).ToArray();
        var results = await Task.WhenAll(calls).WaitAsync(ManagerTestSupport.TestTimeout);

        Assert.Equal(200L, value.Value);
        Assert.Equal(200L, dict["n"]);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), results.Where((_, i) => i % 2 == 0).Order());
    }

    [Fact]
    public void CompareAndSet_stores_only_when_the_current_value_equals_the_expected_one()
    {
        // Atomic compare-and-set (pain point 24)
        var value = _manager.Value(1);
        value.Increment(9);

        Assert.True(value.CompareAndSet(10, 20));
        Assert.Equal(20, value.Value);
        Assert.False(value.CompareAndSet(10, 30));
        Assert.Equal(20, value.Value);
    }

    [Fact]
    public void CompareAndSet_stores_when_the_expected_float_equals_the_value_left_by_Increment()
    {
        // Atomic compare-and-set after an atomic increment: Increment stores a float as an 8-byte double, so the
        // byte-wise comparison with the 4-byte encoding of the same float fails.
        var value = _manager.Value(1.5f);

        Assert.Equal(1.75f, value.Increment(0.25f));

        Assert.True(value.CompareAndSet(1.75f, 2f));
        Assert.Equal(2f, value.Value);
    }

    // ----- Array (M-51) -----

    [Fact]
    public void ArrayIndexer_reads_and_writes_elements_when_the_index_is_in_range_or_negative()
    {
        // M-51: len, [] get and set
        var array = _manager.Array<int>([1, 2, 3]);

        array[0] = 10;
        array[-1] = 30;

        Assert.Equal(3, array.Length);
        Assert.Equal(10, array[0]);
        Assert.Equal(2, array[1]);
        Assert.Equal(30, array[-1]);
        Assert.Equal([10, 2, 30], array.ToArray());
        Assert.Equal("[10, 2, 30]", array.ToString());
    }

    [Fact]
    public void Array_holds_default_elements_when_created_with_a_length()
    {
        // M-51
        var array = _manager.Array<double>(4);

        Assert.Equal(4, array.Length);
        Assert.Equal([0.0, 0.0, 0.0, 0.0], array.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => _manager.Array<int>(-1));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-4)]
    public void ArrayIndexer_throws_ArgumentOutOfRangeException_and_keeps_the_length_when_out_of_range(int index)
    {
        // M-51: fixed length, IndexError
        var array = _manager.Array<int>([1, 2, 3]);

        Assert.IsType<ArgumentOutOfRangeException>(ManagerTestSupport.Capture(() => array[index]));
        Assert.IsType<ArgumentOutOfRangeException>(ManagerTestSupport.Capture(() => array[index] = 4));

        Assert.Equal(3, array.Length);
    }

    [Fact]
    public void ArrayProxy_has_no_methods_that_change_the_length_when_inspected()
    {
        // M-51: no append (and nothing else that resizes)
        var names = typeof(ArrayProxy<int>).GetMethods(BindingFlags.Public | BindingFlags.Instance).Select(m => m.Name).ToHashSet();

        Assert.DoesNotContain("Append", names);
        Assert.DoesNotContain("Extend", names);
        Assert.DoesNotContain("Insert", names);
        Assert.DoesNotContain("Pop", names);
        Assert.DoesNotContain("Remove", names);
        Assert.DoesNotContain("Clear", names);
    }

    [Fact]
    public void ArrayIncrement_adds_atomically_to_one_element_when_called()
    {
        // Pain point 24
        var array = _manager.Array<long>([0, 0]);

        Assert.Equal(5L, array.Increment(1, 5));
        Assert.Equal(7L, array.Increment(-1, 2));

        Assert.Equal([0L, 7L], array.ToArray());
    }

    // ----- copies and nested proxies (M-22, M-27, M-28) -----

    [Fact]
    public void DictIndexer_returns_a_copy_so_mutating_the_read_list_does_not_change_the_shared_value()
    {
        // M-22, M-28: d['inner'].append(x) on a plain value is lost; read, mutate, re-assign works
        var dict = _manager.Dict<string, List<int>>();
        var local = new List<int> { 1, 2 };
        dict["inner"] = local;
        local.Add(99);

        var read = dict["inner"];
        read.Add(3);

        Assert.Equal([1, 2], dict["inner"]);

        dict["inner"] = read;
        Assert.Equal([1, 2, 3], dict["inner"]);
    }

    [Fact]
    public void Reads_return_copies_so_mutating_them_changes_nothing_shared_when_lists_or_keys_are_read()
    {
        // M-22: slices, keys(), values() are copies
        var list = _manager.List<int>([1, 2, 3]);
        var dict = _manager.Dict<string, int[]>();
        dict["a"] = [1];

        list.Copy().Add(4);
        list.Slice(0, 1)[0] = 100;
        dict.Values()[0][0] = 42;
        dict.Keys().Add("b");

        Assert.Equal([1, 2, 3], list.Copy());
        Assert.Equal([1], dict["a"]);
        Assert.Equal(1, dict.Count);
    }

    [Fact]
    public void DictIndexer_returns_a_proxy_to_the_same_list_when_the_stored_value_is_a_ListProxy()
    {
        // M-27: a proxy stored in a managed container stays a reference to the shared referent
        var outer = _manager.Dict<string, ListProxy<int>>();
        var inner = _manager.List<int>();
        outer["inner"] = inner;

        outer["inner"].Append(1);
        outer["inner"].Append(2);
        inner.Append(3);

        Assert.Equal([1, 2, 3], inner.Copy());
        Assert.Equal([1, 2, 3], outer["inner"].Copy());

        outer.Clear();
        inner.Append(4);
        Assert.Equal([1, 2, 3, 4], inner.Copy());
    }

    [Fact]
    public void ListIndexer_returns_proxies_that_mutate_independent_inner_dicts_when_a_list_holds_DictProxies()
    {
        // M-27, test_list_proxy_in_list / test_dict_proxy_nested
        var first = _manager.Dict<string, int>();
        var second = _manager.Dict<string, int>();
        var list = _manager.List<DictProxy<string, int>>([first, second]);

        list[0]["water"] = 7;
        list[1]["food"] = 3;

        Assert.Equal(["water"], first.Keys());
        Assert.Equal(["food"], second.Keys());
        Assert.Equal(7, list[0]["water"]);
    }

    [Fact(Skip = "Known limitation: dynamic Namespace reads decode numbers as their smallest MessagePack type; use Get<T> for a typed read.")]
    public void DictIndexer_returns_a_proxy_when_a_proxy_is_stored_in_a_dict_of_object()
    {
        // M-27: a proxy stored in a managed container stays a proxy (Python's dict holds any value); with TValue = object
        // the stored proxy comes back as its actor path string instead.
        var inner = _manager.List<int>();
        var dict = _manager.Dict<string, object>();
        dict["inner"] = inner;

        var read = dict["inner"];

        var proxy = Assert.IsType<ListProxy<int>>(read);
        proxy.Append(1);
        Assert.Equal([1], inner.Copy());
    }

    [Fact]
    public void ListContains_finds_an_equal_number_when_zero_is_stored_with_a_negative_sign()
    {
        // M-40: `in`, index and remove compare by equality (Python and .NET: -0.0 == 0.0); the manager compares the
        // encoded bytes, and -0.0 and 0.0 encode differently.
        var list = _manager.List<double>([-0.0]);

        Assert.True(list.Contains(0.0));
        Assert.Equal(0, list.IndexOf(0.0));
    }

    // ----- values that cannot be sent (M-30) -----

    [Fact]
    public void DictIndexer_throws_TaskSerializationException_and_stores_nothing_when_the_value_is_a_stream()
    {
        // M-30: an unpicklable argument raises in the caller
        var dict = _manager.Dict<string, object>();
        using var stream = new MemoryStream();

        var ex = Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => dict["s"] = stream));

        Assert.Contains("MemoryStream", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, dict.Count);
        dict["ok"] = 1;
        Assert.Equal(1, dict.Count);
    }

    [Fact]
    public void Calls_throw_TaskSerializationException_when_an_argument_is_a_delegate()
    {
        // M-30, pain point 7: delegates cannot be sent
        Func<int> function = () => 1;
        var dict = _manager.Dict<string, Func<int>>();
        var list = _manager.List<object>();
        var ns = _manager.Namespace();
        var keys = _manager.Dict<object, int>();

        Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => dict["f"] = function));
        Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => list.Append(function)));
        Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => ns.Set("f", function)));
        Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => keys[function] = 1));
        Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => _manager.Value<object>(function)));
        Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => _manager.List<object>([1, function])));
    }

    [Fact]
    public void NamespaceDynamicSet_throws_TaskSerializationException_when_the_value_is_a_delegate_or_stream()
    {
        // M-30 through the dynamic setter
        dynamic ns = _manager.Namespace();
        Action action = () => { };
        using var stream = new MemoryStream();

        Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => { ns.Callback = action; }));
        Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => { ns.Stream = stream; }));

        NamespaceProxy typed = ns;
        Assert.Empty(typed.Names());
    }

    [Fact]
    public void ListAppend_throws_TaskSerializationException_when_a_property_getter_of_the_item_throws()
    {
        // M-30: any serializer failure surfaces at the call as TaskSerializationException
        var list = _manager.List<ManagerUnserializable>();

        Assert.IsType<TaskSerializationException>(ManagerTestSupport.Capture(() => list.Append(new ManagerUnserializable())));

        Assert.Equal(0, list.Count);
    }
}

/// <summary>A plain record stored in a shared Value.</summary>
public sealed record ManagerPoint(int X, int Y);

/// <summary>A type whose serialization fails: reading its (serialized, read-write) property throws.</summary>
public sealed class ManagerUnserializable
{
    public int Boom
    {
        get => throw new InvalidOperationException("not serializable");
        set => _ = value;
    }
}
